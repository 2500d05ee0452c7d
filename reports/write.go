package reports

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// writer carries one Write call's state.
type writer struct {
	dir   string
	b     *Bundle
	bases []string       // per query: file name stem
	files []ManifestFile // evidence files written so far
	csvs  []string       // per query: relative CSV path
	sqls  []string       // per query: relative SQL path ("" when derived)
	sheet [][]string     // per query: sheet names, filled by the workbook
	// bw is the buffer writeFile writes every file through.
	bw *bufio.Writer
	// tl caches the Timeline's rows (see timelineRows).
	tl []timelineRow
	// rows holds the rows of streamed sheets while the workbook is built
	// (nil when spillRows is off).
	rows *sheetRows
	// findings are the bundle's findings in the order the report shows
	// them (severity, then time); their numbers are their places here.
	findings []Finding
}

func (w *writer) write() (*Written, error) {
	names := make([]string, len(w.b.Queries))
	for i, q := range w.b.Queries {
		names[i] = q.Name
	}
	w.bases = fileBases(names)
	w.csvs = make([]string, len(names))
	w.sqls = make([]string, len(names))
	w.sheet = make([][]string, len(names))
	for i := range w.b.Queries {
		q := &w.b.Queries[i]
		w.csvs[i] = path.Join(ResultsDir, w.bases[i]+".csv")
		if err := w.writeFile(w.csvs[i], func(out io.Writer) error { return writeCSV(out, q) }); err != nil {
			return nil, fmt.Errorf("write results of %s: %w", q.Name, err)
		}
		if !q.Derived {
			w.sqls[i] = path.Join(QueriesDir, w.bases[i]+".sql")
			if err := w.writeFile(w.sqls[i], func(out io.Writer) error { return writeSQL(out, q) }); err != nil {
				return nil, fmt.Errorf("write sql of %s: %w", q.Name, err)
			}
		}
	}
	evidence := append([]ManifestFile(nil), w.files...)
	sortFiles(evidence)
	if err := w.writeFile(ReportName, func(out io.Writer) error { return w.writeWorkbook(out, evidence) }); err != nil {
		return nil, fmt.Errorf("write %s: %w", ReportName, err)
	}
	m := w.manifest()
	if err := w.writeFile(ManifestName, func(out io.Writer) error { return writeManifest(out, m) }); err != nil {
		return nil, fmt.Errorf("write %s: %w", ManifestName, err)
	}
	all := append([]ManifestFile(nil), w.files...)
	sortFiles(all)
	var sums strings.Builder
	for _, f := range all {
		sums.WriteString(f.SHA256 + "  " + f.Path + "\n")
	}
	if err := w.writeFile(SumsName, func(out io.Writer) error { _, err := io.WriteString(out, sums.String()); return err }); err != nil {
		return nil, fmt.Errorf("write %s: %w", SumsName, err)
	}
	w.files = w.files[:len(w.files)-1] // SHA256SUMS lists everything but itself
	out := &Written{Dir: w.dir, Manifest: *m}
	for _, f := range all {
		out.Files = append(out.Files, f.Path)
	}
	out.Files = append(out.Files, SumsName)
	sort.Strings(out.Files)
	return out, nil
}

func sortFiles(fs []ManifestFile) {
	sort.Slice(fs, func(i, j int) bool { return fs[i].Path < fs[j].Path })
}

// writeFile creates rel under the bundle, hashing and counting the bytes as
// they are written so no file is read twice.
func (w *writer) writeFile(rel string, fill func(io.Writer) error) error {
	f, err := os.OpenFile(filepath.Join(w.dir, filepath.FromSlash(rel)), os.O_CREATE|os.O_EXCL|os.O_WRONLY, filePerm)
	if err != nil {
		return err
	}
	// Private whatever the umask (a umask only removes bits, but a
	// caller's may be odd; say it outright).
	if err := f.Chmod(filePerm); err != nil {
		f.Close()
		return err
	}
	h := sha256.New()
	cw := &countWriter{w: io.MultiWriter(f, h)}
	// One buffer for every file, reset for each: a new 1 MiB buffer for
	// each of a hunt's 170 files was 170 MB of garbage, and 15 MB of them
	// were in the Go heap at the report's peak (500k tree).
	if w.bw == nil {
		w.bw = bufio.NewWriterSize(cw, 1<<20)
	}
	bw := w.bw
	bw.Reset(cw)
	if err := fill(bw); err != nil {
		f.Close()
		return err
	}
	if err := bw.Flush(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	w.files = append(w.files, ManifestFile{Path: rel, SHA256: hexSum(h), Bytes: cw.n})
	return nil
}

func hexSum(h hash.Hash) string { return hex.EncodeToString(h.Sum(nil)) }

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// writeCSV writes a query's rows. The quoting follows encoding/csv (a field
// is quoted when it holds a comma, quote, CR or LF, starts with a space, or
// is `\.`), with one addition: an empty string is written as "" while NULL
// is an empty field, so the two stay distinguishable. Records end in LF;
// CR and LF inside values are kept as they are.
func writeCSV(out io.Writer, q *QueryRun) error {
	bw, ok := out.(*bufio.Writer)
	if !ok {
		bw = bufio.NewWriter(out)
		defer bw.Flush()
	}
	if len(q.Columns) > 0 {
		for i, c := range q.Columns {
			if i > 0 {
				bw.WriteByte(',')
			}
			writeCSVField(bw, c.Name, true)
		}
		bw.WriteByte('\n')
	}
	for _, row := range q.Rows {
		for i, v := range row {
			if i > 0 {
				bw.WriteByte(',')
			}
			s, ok := csvValue(v)
			writeCSVField(bw, s, ok)
		}
		if _, err := bw.WriteString("\n"); err != nil {
			return err
		}
	}
	return nil
}

func writeCSVField(bw *bufio.Writer, s string, notNull bool) {
	if !notNull {
		return
	}
	if !csvNeedsQuotes(s) {
		bw.WriteString(s)
		return
	}
	bw.WriteByte('"')
	for {
		i := strings.IndexByte(s, '"')
		if i < 0 {
			bw.WriteString(s)
			break
		}
		bw.WriteString(s[:i+1])
		bw.WriteByte('"')
		s = s[i+1:]
	}
	bw.WriteByte('"')
}

func csvNeedsQuotes(s string) bool {
	if s == "" || s == `\.` {
		return true
	}
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ',', '"', '\r', '\n':
			return true
		}
	}
	r, _ := utf8.DecodeRuneInString(s)
	return unicode.IsSpace(r)
}

// writeSQL writes the query as run, after a comment header that names it and
// lists every bound value in placeholder order. A value that is not one
// printable line is written Go-quoted so it cannot end the comment.
func writeSQL(out io.Writer, q *QueryRun) error {
	var sb strings.Builder
	sb.WriteString("-- name: " + commentSafe(q.Name) + "\n")
	if q.Summary != "" {
		sb.WriteString("-- summary: " + commentSafe(q.Summary) + "\n")
	}
	for i, p := range q.Params {
		fmt.Fprintf(&sb, "-- param %s = %s   (placeholder %d)\n", commentSafe(p.Name), commentSafe(p.Value), i+1)
	}
	if q.Stats.ExecutionID != "" {
		sb.WriteString("-- execution_id: " + commentSafe(q.Stats.ExecutionID) + "\n")
	}
	if q.Err != "" {
		sb.WriteString("-- error: " + commentSafe(q.Err) + "\n")
	}
	sb.WriteString(q.SQL)
	if !strings.HasSuffix(q.SQL, "\n") {
		sb.WriteString("\n")
	}
	_, err := io.WriteString(out, sb.String())
	return err
}

func commentSafe(s string) string {
	for _, r := range s {
		if r == utf8.RuneError || !unicode.IsPrint(r) && r != ' ' {
			return strconv.Quote(s)
		}
	}
	if strings.HasPrefix(s, `"`) {
		return strconv.Quote(s)
	}
	return s
}

func (w *writer) manifest() *Manifest {
	b := w.b
	m := &Manifest{
		SchemaVersion: ManifestSchemaVersion,
		Tool:          ManifestTool{Version: b.ToolVersion, Commit: b.ToolCommit},
		Command:       b.Command,
		Case:          b.Case,
		Examiner:      b.Examiner,
		GeneratedAt:   Time(b.GeneratedAt),
		Engine:        ManifestEngine{Name: b.Engine, Version: b.EngineVersion},
		Sources:       orEmpty(b.Sources),
		Window:        ManifestWindow{Since: Time(b.Since), Until: Time(b.Until)},
		Parameters:    params(b.Params),
		Coverage:      normCoverage(b.Coverage),
		Findings:      []ManifestFinding{},
		Notes:         orEmpty(b.Notes),
		Credits:       orEmpty(b.Credits),
		Queries:       []ManifestQuery{},
		Integrity:     ManifestIntegrity{Lines: orEmpty(b.Integrity), Files: orEmpty(b.IntegrityFiles)},
	}
	if w.findings == nil {
		w.findings = sortFindings(b.Findings)
	}
	for i, f := range w.findings {
		ids := f.EventIDs
		if len(ids) == 0 {
			for _, e := range f.Events {
				if e.EventID != "" {
					ids = append(ids, e.EventID)
				}
			}
		}
		m.Findings = append(m.Findings, ManifestFinding{Number: i + 1, Severity: f.Severity, Text: f.Text, Query: f.Query,
			Time: Time(f.Time), EventIDs: orEmpty(ids), Sources: orEmpty(f.Sources), Attack: orEmpty(f.Attack)})
	}
	inv := b.Invocation
	m.Invocation = ManifestInvocation{CommandLine: orEmpty(inv.CommandLine), ToolVersion: b.ToolVersion, ToolCommit: b.ToolCommit,
		Host: inv.Host, User: inv.User, Examiner: b.Examiner, Start: Time(inv.Start), End: Time(inv.End)}
	m.Marking = w.marking()
	inc := w.incomplete()
	m.Status = ManifestStatus{Complete: len(inc) == 0, Incomplete: orEmpty(inc)}
	m.Summary = orEmpty(w.summary())
	m.Limitations = orEmpty(b.Limitations)
	m.Integrity = ManifestIntegrity{Lines: orEmpty(b.Integrity), Files: orEmpty(b.IntegrityFiles)}
	for i, q := range b.Queries {
		m.Queries = append(m.Queries, ManifestQuery{
			Name:         q.Name,
			Summary:      q.Summary,
			Derived:      q.Derived,
			ExecutionID:  q.Stats.ExecutionID,
			State:        q.Stats.State,
			Error:        q.Err,
			Submitted:    Time(q.Stats.Submitted),
			Completed:    Time(q.Stats.Completed),
			ElapsedMS:    q.Stats.Elapsed.Milliseconds(),
			BytesScanned: q.Stats.BytesScanned,
			CostUSD:      q.Stats.CostUSD,
			Rows:         len(q.Rows),
			Columns:      orEmpty(q.Columns),
			Params:       params(q.Params),
			Files:        QueryFiles{SQL: w.sqls[i], CSV: w.csvs[i]},
			Sheets:       orEmpty(w.sheet[i]),
		})
		m.Queries[len(m.Queries)-1].EstimatedBytes = q.Stats.EstimatedBytes
		m.Queries[len(m.Queries)-1].EstimatedCostUSD = q.Stats.EstimatedCostUSD
	}
	m.Files = append([]ManifestFile(nil), w.files...)
	sortFiles(m.Files)
	return m
}
