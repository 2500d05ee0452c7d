package reports

import (
	"archive/zip"
	"bufio"
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
)

// Streamed sheets keep their rows out of memory.
//
// excelize's stream writer holds each sheet's XML in a bytes.Buffer until
// it passes 16 MiB, so every query sheet of a report stays in memory until
// the workbook is saved: 83 MiB of Go heap for the 84 query sheets of a
// hunt over the 500k tree (34 MB of CSV), with the buffers' growth slack
// on top. Here the stream writer only carries a sheet's frame (column
// widths, panes, merges, print setup, an empty sheetData) and the rows go,
// as SpreadsheetML, to one temporary file shared by all sheets. When
// excelize saves the workbook, spliceZip puts each sheet's rows back
// inside its sheetData.
//
// The rows are written as excelize's stream writer writes them, byte for
// byte (TestSpilledRowsAsExcelize), with one exception: a text holding a
// run of _xHHHH_ patterns sharing underscores is escaped so that it reads
// back as written (see writeCellText).

// spillRows sends streamed rows to the temporary file; false hands them
// to excelize's stream writer as before (tests compare the two).
var spillRows = true

// rowSetter takes a sheet's rows in ascending order: the SetRow of
// excelize's StreamWriter or of a spilledSheet. (A func, not an interface:
// a StreamWriter in an interface makes the linker keep every method of
// excelize.File, formulas included, 4 MB of binary.)
type rowSetter func(cell string, values []any, opts ...excelize.RowOpts) error

// streamRows says where the rows of sheet, streamed by sw, go, and
// returns the function that ends the sheet after its last row.
func (w *writer) streamRows(sheet string, sw *excelize.StreamWriter) (rowSetter, func() error, error) {
	if w.rows == nil {
		return sw.SetRow, sw.Flush, nil
	}
	p, err := w.rows.sheet(sheet)
	if err != nil {
		return nil, nil, err
	}
	return p.SetRow, func() error {
		if err := p.done(); err != nil {
			return err
		}
		return sw.Flush()
	}, nil
}

// sheetRows is the temporary file holding the rows of the streamed
// sheets, each sheet's rows one contiguous section.
type sheetRows struct {
	file  *os.File
	bw    *bufio.Writer
	size  int64
	parts map[string]rowsPart // by sheet name
	cols  []string            // column letters by column number - 1
	num   []byte              // scratch for numbers
	open  *spilledSheet
}

type rowsPart struct{ off, n int64 }

func newSheetRows() (*sheetRows, error) {
	f, err := os.CreateTemp("", "ctathena-rows-*.xml")
	if err != nil {
		return nil, fmt.Errorf("create temporary file for sheet rows: %w", err)
	}
	return &sheetRows{file: f, bw: bufio.NewWriterSize(f, 256<<10), parts: map[string]rowsPart{}}, nil
}

// close removes the temporary file.
func (s *sheetRows) close() {
	if s == nil {
		return
	}
	s.file.Close()
	os.Remove(s.file.Name())
}

// sheet starts the rows of sheet; the previous sheet must be done.
func (s *sheetRows) sheet(name string) (*spilledSheet, error) {
	if s.open != nil {
		return nil, fmt.Errorf("rows of sheet %q started before those of %q were done", name, s.open.name)
	}
	if _, ok := s.parts[name]; ok {
		return nil, fmt.Errorf("rows of sheet %q written twice", name)
	}
	s.open = &spilledSheet{s: s, name: name, off: s.size}
	return s.open, nil
}

// spilledSheet writes one sheet's rows to the temporary file.
type spilledSheet struct {
	s    *sheetRows
	name string
	off  int64
	last int // the last row number written
	err  error
}

// done ends the sheet's rows.
func (p *spilledSheet) done() error {
	if p.err != nil {
		return p.err
	}
	p.s.parts[p.name] = rowsPart{off: p.off, n: p.s.size - p.off}
	p.s.open = nil
	return nil
}

func (p *spilledSheet) str(s string) {
	n, err := p.s.bw.WriteString(s)
	p.s.size += int64(n)
	if err != nil && p.err == nil {
		p.err = err
	}
}

func (p *spilledSheet) bytes(b []byte) {
	n, err := p.s.bw.Write(b)
	p.s.size += int64(n)
	if err != nil && p.err == nil {
		p.err = err
	}
}

func (p *spilledSheet) int(n int64) {
	p.s.num = strconv.AppendInt(p.s.num[:0], n, 10)
	p.bytes(p.s.num)
}

func (p *spilledSheet) col(c int) string {
	for len(p.s.cols) < c {
		name, _ := excelize.ColumnNumberToName(len(p.s.cols) + 1)
		p.s.cols = append(p.s.cols, name)
	}
	return p.s.cols[c-1]
}

// SetRow writes row cell's values from column A (cell must be "A<row>",
// rows ascending). A value is nil (no cell), a string, a bool or an
// excelize.Cell (or a pointer to one) with a style and a string, bool,
// int64, float64 or time.Time; a time must have a style (excelize would
// add one).
func (p *spilledSheet) SetRow(cell string, values []any, opts ...excelize.RowOpts) error {
	if p.err != nil {
		return p.err
	}
	if !strings.HasPrefix(cell, "A") {
		return fmt.Errorf("sheet %q: row written from %s, not column A", p.name, cell)
	}
	row, err := strconv.Atoi(cell[1:])
	if err != nil || row <= p.last || row > excelize.TotalRows {
		return fmt.Errorf("sheet %q: row %q out of order (after row %d)", p.name, cell, p.last)
	}
	if len(values) > excelize.MaxColumns {
		return fmt.Errorf("sheet %q: %d columns", p.name, len(values))
	}
	p.last = row
	p.str(`<row r="`)
	p.int(int64(row))
	p.str(`"`)
	for _, o := range opts {
		if o.StyleID != 0 || o.Hidden || o.OutlineLevel != 0 || o.Height < 0 || o.Height > excelize.MaxRowHeight {
			return fmt.Errorf("sheet %q row %d: row options %+v not supported", p.name, row, o)
		}
		if o.Height > 0 {
			p.str(` ht="`)
			p.str(strconv.FormatFloat(o.Height, 'f', -1, 64))
			p.str(`" customHeight="1"`)
		}
	}
	p.str(`>`)
	for i, v := range values {
		if v == nil {
			continue
		}
		if err := p.cell(i+1, row, v); err != nil {
			return err
		}
	}
	p.str(`</row>`)
	return p.err
}

// cell writes one <c> element.
func (p *spilledSheet) cell(col, row int, v any) error {
	style := 0
	var c *excelize.Cell
	switch x := v.(type) {
	case excelize.Cell:
		c = &x
	case *excelize.Cell:
		if x == nil {
			return fmt.Errorf("sheet %q row %d: a nil cell", p.name, row)
		}
		c = x
	}
	if c != nil {
		if c.Formula != "" {
			return fmt.Errorf("sheet %q row %d: formulas are not written to spilled rows", p.name, row)
		}
		style, v = c.StyleID, c.Value
	}
	p.str(`<c r="`)
	p.str(p.col(col))
	p.int(int64(row))
	p.str(`"`)
	if style > 0 {
		p.str(` s="`)
		p.int(int64(style))
		p.str(`"`)
	}
	switch v := v.(type) {
	case nil:
		p.str(`></c>`)
	case string:
		p.text(v)
	case bool:
		if v {
			p.str(` t="b"><v>1</v></c>`)
		} else {
			p.str(` t="b"><v>0</v></c>`)
		}
	case int64:
		p.str(`><v>`)
		p.int(v)
		p.str(`</v></c>`)
	case float64:
		if math.IsNaN(v) || math.IsInf(v, 0) {
			p.text(fmt.Sprint(v))
			break
		}
		p.str(`><v>`)
		p.str(cellNumber(v))
		p.str(`</v></c>`)
	case time.Time:
		if style == 0 {
			return fmt.Errorf("sheet %q row %d: a time without a number format", p.name, row)
		}
		// The wall clock, read as UTC.
		_, off := v.Zone()
		v = v.Add(time.Duration(off) * time.Second)
		if n := excelSerial(v); n > 0 {
			p.str(`><v>`)
			p.str(strconv.FormatFloat(n, 'f', -1, 64))
			p.str(`</v></c>`)
		} else {
			// Before Excel's first day: the text, as excelize writes it.
			p.str(` t="inlineStr"><is><t>`)
			p.str(v.Format(time.RFC3339Nano))
			p.str(`</t></is></c>`)
		}
	default:
		return fmt.Errorf("sheet %q row %d: cell value of type %T not supported", p.name, row, v)
	}
	return p.err
}

// text writes an inline string cell's type and value.
func (p *spilledSheet) text(s string) {
	if len(s) > maxCellChars && utf16Len(s) > maxCellChars && p.err == nil {
		// Callers clip with cellText; excelize would cut the text short.
		p.err = fmt.Errorf("sheet %q: a cell text of %d UTF-16 units is over Excel's limit", p.name, utf16Len(s))
		return
	}
	p.str(` t="inlineStr"><is><t`)
	if s != "" && (isXMLSpace(s[0]) || isXMLSpace(s[len(s)-1])) {
		p.str(` xml:space="preserve"`)
	}
	p.str(`>`)
	p.writeCellText(s)
	p.str(`</t></is></c>`)
}

func isXMLSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// writeCellText writes s as the content of a <t> element: markup
// characters, quotes, tab and CR as character references (LF stays
// literal), characters XML cannot carry as U+FFFD (cellText has already
// shown them as visible escapes), and every underscore that starts a
// _xHHHH_ pattern as _x005F_, so a spreadsheet program does not read the
// pattern as an escaped character. (excelize escapes only the patterns it
// finds without overlap, so a run like "_x0041_x0042_" would read back as
// "_x0041B"; every pattern is escaped here.)
func (p *spilledSheet) writeCellText(s string) {
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		var esc string
		width := 1
		switch {
		case c == '"':
			esc = "&#34;"
		case c == '\'':
			esc = "&#39;"
		case c == '&':
			esc = "&amp;"
		case c == '<':
			esc = "&lt;"
		case c == '>':
			esc = "&gt;"
		case c == '\t':
			esc = "&#x9;"
		case c == '\r':
			esc = "&#xD;"
		case c == '_':
			if !escapedCharAt(s, i) {
				i++
				continue
			}
			esc = "_x005F_"
		case c == '\n' || c >= 0x20 && c < 0x80:
			i++
			continue
		case c < 0x20:
			esc = "\uFFFD"
		default:
			r, n := utf8.DecodeRuneInString(s[i:])
			width = n
			if r == utf8.RuneError && n == 1 || !xmlChar(r) {
				esc = "\uFFFD"
				break
			}
			i += n
			continue
		}
		p.str(s[start:i])
		p.str(esc)
		i += width
		start = i
	}
	p.str(s[start:])
}

// escapedCharAt reports whether s holds _xHHHH_ (four hex digits) at i.
func escapedCharAt(s string, i int) bool {
	if i+7 > len(s) || s[i] != '_' || s[i+1] != 'x' || s[i+6] != '_' {
		return false
	}
	for _, c := range []byte(s[i+2 : i+6]) {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// xmlChar reports whether XML 1.0 allows r (non-ASCII runes only reach
// here).
func xmlChar(r rune) bool {
	return r >= 0x20 && r <= 0xD7FF || r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF
}

// cellNumber is a float64 cell's text: the shortest decimal form, cut to
// the 15 significant digits Excel keeps (digits of the integer part past
// the fifteenth become zeros, the fraction is dropped), as excelize
// writes it.
func cellNumber(v float64) string {
	s := strconv.FormatFloat(v, 'f', -1, 64)
	if math.Abs(v) == math.MaxFloat64 {
		return s
	}
	dot := strings.IndexByte(s, '.')
	sig := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' || sig == 0 && c == '0' {
			continue
		}
		if sig++; sig <= 15 {
			continue
		}
		if dot >= 0 && i > dot {
			return strings.TrimSuffix(s[:i], ".")
		}
		if dot < 0 {
			dot = len(s)
		}
		return s[:i] + strings.Repeat("0", dot-i)
	}
	return s
}

// Excel's 1900 date system counts days from 31 December 1899 and, like
// Lotus 1-2-3, has a 29 February 1900: later dates are one more.
var (
	serialEpoch   = time.Date(1899, time.December, 31, 0, 0, 0, 0, time.UTC)
	serialLeapBug = time.Date(1900, time.March, 1, 0, 0, 0, 0, time.UTC)
)

// excelSerial is t's serial number in Excel's 1900 date system (0 before
// its first day). The whole days and the
// part day are each divided as nanoseconds and then added, and times past
// a time.Duration from the epoch are counted in steps of 290*364 days, as
// excelize does: the cell then holds the same number to the last bit as
// excelize's stream writer writes (the rounding of the two quotients can
// differ from a single division in the last place).
func excelSerial(t time.Time) float64 {
	if t.Before(serialEpoch) {
		return 0
	}
	const day = 24 * time.Hour
	const step = 290 * 364 * day
	n, u := 0.0, t
	for u.Sub(serialEpoch) >= step {
		n += float64(step / day)
		u = u.Add(-step)
	}
	d := u.Sub(serialEpoch)
	part := d % day
	n += float64(d-part)/float64(day) + float64(part)/float64(day)
	if !t.Before(serialLeapBug) {
		n++
	}
	return n
}

// spliceZip is the zip writer excelize saves the workbook through. It
// passes every part on, except that the part of each spilled sheet, which
// excelize writes with an empty sheetData, gets its rows from the
// temporary file inside that sheetData.
type spliceZip struct {
	zw    *zip.Writer
	rows  *sheetRows
	parts map[string]rowsPart // by zip part name
	done  map[string]bool
	// The spilled sheet whose part excelize is writing: its frame is
	// collected in frame (a few KB) and written out with the rows when
	// excelize moves on.
	cur   string
	out   io.Writer
	frame bytes.Buffer
}

// newSpliceZip maps the spilled sheets to their parts in f.
func newSpliceZip(zw *zip.Writer, rows *sheetRows, f *excelize.File) (*spliceZip, error) {
	z := &spliceZip{zw: zw, rows: rows, parts: map[string]rowsPart{}, done: map[string]bool{}}
	if rows == nil {
		return z, nil
	}
	if rows.open != nil {
		return nil, fmt.Errorf("rows of sheet %q not done", rows.open.name)
	}
	if err := rows.bw.Flush(); err != nil {
		return nil, fmt.Errorf("write sheet rows: %w", err)
	}
	byName := map[string]int{}
	for id, name := range f.GetSheetMap() {
		byName[name] = id
	}
	for name, part := range rows.parts {
		id, ok := byName[name]
		if !ok {
			return nil, fmt.Errorf("spilled sheet %q is not in the workbook", name)
		}
		z.parts["xl/worksheets/sheet"+strconv.Itoa(id)+".xml"] = part
	}
	return z, nil
}

func (z *spliceZip) Create(name string) (io.Writer, error) {
	if err := z.finish(); err != nil {
		return nil, err
	}
	w, err := z.zw.Create(name)
	if err != nil {
		return nil, err
	}
	if _, ok := z.parts[name]; !ok {
		return w, nil
	}
	if z.done[name] {
		return nil, fmt.Errorf("workbook part %s written twice", name)
	}
	z.cur, z.out = name, w
	z.frame.Reset()
	return &z.frame, nil
}

// emptySheetData is how excelize's stream writer writes a sheet it was
// given no row for.
const emptySheetData = "<sheetData></sheetData>"

// finish writes the collected frame of the current spilled sheet with its
// rows inside.
func (z *spliceZip) finish() error {
	if z.cur == "" {
		return nil
	}
	name, part := z.cur, z.parts[z.cur]
	z.cur = ""
	frame := z.frame.Bytes()
	i := bytes.Index(frame, []byte(emptySheetData))
	if i < 0 || bytes.Count(frame, []byte("<sheetData")) != 1 {
		return fmt.Errorf("workbook part %s: no empty sheetData to put its rows in", name)
	}
	i += len("<sheetData>")
	if _, err := z.out.Write(frame[:i]); err != nil {
		return err
	}
	if _, err := io.Copy(z.out, io.NewSectionReader(z.rows.file, part.off, part.n)); err != nil {
		return fmt.Errorf("copy rows of %s: %w", name, err)
	}
	if _, err := z.out.Write(frame[i:]); err != nil {
		return err
	}
	z.done[name] = true
	return nil
}

func (z *spliceZip) AddFS(fsys fs.FS) error {
	if err := z.finish(); err != nil {
		return err
	}
	return z.zw.AddFS(fsys)
}

func (z *spliceZip) Close() error {
	if err := z.finish(); err != nil {
		return err
	}
	for name := range z.parts {
		if !z.done[name] {
			return fmt.Errorf("workbook part %s was not written, so its rows would be lost", name)
		}
	}
	return z.zw.Close()
}
