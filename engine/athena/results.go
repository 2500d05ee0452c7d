package athena

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/athena"
	"github.com/aws/aws-sdk-go-v2/service/athena/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/ctathena/ctathena/engine"
)

// pageSize is GetQueryResults' maximum page.
const pageSize = 1000

// results reads the rows of a succeeded query: column types from one
// one-row GetQueryResults call, rows from the CSV object in one request,
// and GetQueryResults paging when the object is unreadable or malformed.
func (e *Engine) results(ctx context.Context, name string, qe *types.QueryExecution) (*engine.Result, error) {
	id := aws.ToString(qe.QueryExecutionId)
	var meta *athena.GetQueryResultsOutput
	err := e.retry(ctx, func() (err error) {
		meta, err = e.api.GetQueryResults(ctx, &athena.GetQueryResultsInput{QueryExecutionId: aws.String(id), MaxResults: aws.Int32(1)})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("read column types of %s (execution %s): %w", name, id, err)
	}
	var info []types.ColumnInfo
	if meta.ResultSet != nil && meta.ResultSet.ResultSetMetadata != nil {
		info = meta.ResultSet.ResultSetMetadata.ColumnInfo
	}
	cols := Columns(info)
	dml := qe.StatementType == "" || qe.StatementType == types.StatementTypeDml

	loc := ""
	if qe.ResultConfiguration != nil {
		loc = aws.ToString(qe.ResultConfiguration.OutputLocation)
	}
	if dml && loc != "" && e.s3 != nil {
		rows, err := e.readCSV(ctx, loc, cols)
		if err == nil {
			return &engine.Result{Columns: cols, Rows: rows}, nil
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("read results of %s (execution %s): %w", name, id, ctx.Err())
		}
		e.o.Logf("%s: result object %s unreadable (%v); paging GetQueryResults instead", name, loc, err)
	}
	rows, err := e.page(ctx, id, cols, dml)
	if err != nil {
		return nil, fmt.Errorf("page results of %s (execution %s): %w", name, id, err)
	}
	return &engine.Result{Columns: cols, Rows: rows}, nil
}

// splitS3URI splits s3://bucket/key.
func splitS3URI(loc string) (bucket, key string, err error) {
	u, err := url.Parse(loc)
	if err != nil || u.Scheme != "s3" || u.Host == "" || len(u.Path) < 2 {
		return "", "", fmt.Errorf("not an s3://bucket/key location: %q", loc)
	}
	return u.Host, strings.TrimPrefix(u.Path, "/"), nil
}

func (e *Engine) readCSV(ctx context.Context, loc string, cols []engine.Column) ([][]any, error) {
	bucket, key, err := splitS3URI(loc)
	if err != nil {
		return nil, err
	}
	obj, err := e.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", loc, err)
	}
	defer obj.Body.Close()
	r := newCSVReader(obj.Body)
	if _, err := r.next(); err != nil { // header row
		if err == io.EOF {
			return nil, fmt.Errorf("%s is empty, not even a header", loc)
		}
		return nil, err
	}
	var rows [][]any
	for {
		rec, err := r.next()
		if err == io.EOF {
			return rows, nil
		}
		if err != nil {
			return nil, err
		}
		if len(rec) != len(cols) {
			return nil, fmt.Errorf("csv line %d has %d fields, want %d", r.line, len(rec), len(cols))
		}
		row := make([]any, len(cols))
		for i, f := range rec {
			if !f.quoted && f.text == "" {
				continue // Athena writes NULL as an empty unquoted field
			}
			if row[i], err = Value(cols[i], f.text); err != nil {
				return nil, fmt.Errorf("csv line %d: %w", r.line, err)
			}
		}
		rows = append(rows, row)
	}
}

func (e *Engine) page(ctx context.Context, id string, cols []engine.Column, dml bool) ([][]any, error) {
	var rows [][]any
	var token *string
	first := true
	for {
		var out *athena.GetQueryResultsOutput
		err := e.retry(ctx, func() (err error) {
			out, err = e.api.GetQueryResults(ctx, &athena.GetQueryResultsInput{
				QueryExecutionId: aws.String(id), MaxResults: aws.Int32(pageSize), NextToken: token})
			return err
		})
		if err != nil {
			return nil, err
		}
		var got []types.Row
		if out.ResultSet != nil {
			got = out.ResultSet.Rows
		}
		if first && dml && len(got) > 0 {
			got = got[1:] // the header row
		}
		first = false
		for _, r := range got {
			if len(r.Data) != len(cols) {
				return nil, fmt.Errorf("row %d has %d fields, want %d", len(rows)+1, len(r.Data), len(cols))
			}
			row := make([]any, len(cols))
			for i, d := range r.Data {
				if d.VarCharValue == nil {
					continue
				}
				if row[i], err = Value(cols[i], *d.VarCharValue); err != nil {
					return nil, fmt.Errorf("row %d: %w", len(rows)+1, err)
				}
			}
			rows = append(rows, row)
		}
		token = out.NextToken
		if token == nil || *token == "" {
			return rows, nil
		}
	}
}

// Columns maps Athena's column metadata to engine columns. Types Athena has
// no Go counterpart for (array, map, row, json, varbinary, intervals) are
// carried as their text form.
func Columns(info []types.ColumnInfo) []engine.Column {
	cols := make([]engine.Column, len(info))
	for i, c := range info {
		t := strings.ToLower(strings.TrimSpace(aws.ToString(c.Type)))
		cols[i] = engine.Column{Name: aws.ToString(c.Name), Type: TypeOf(t), EngineType: t}
	}
	return cols
}

// TypeOf maps an Athena (Trino) type name to the engine's logical type.
func TypeOf(athenaType string) engine.Type {
	t := strings.ToLower(strings.TrimSpace(athenaType))
	if i := strings.IndexAny(t, "(<"); i >= 0 && !strings.HasPrefix(t, "timestamp") {
		t = t[:i]
	}
	switch {
	case t == "bigint" || t == "integer" || t == "int" || t == "smallint" || t == "tinyint":
		return engine.Integer
	case t == "double" || t == "real" || t == "float" || t == "decimal":
		return engine.Float
	case t == "boolean":
		return engine.Boolean
	case t == "date" || strings.HasPrefix(t, "timestamp"):
		return engine.Timestamp
	}
	return engine.String
}

// Value parses one non-NULL result field as its column's type.
func Value(c engine.Column, s string) (any, error) {
	var v any
	var err error
	switch c.Type {
	case engine.Integer:
		v, err = strconv.ParseInt(s, 10, 64)
	case engine.Float:
		v, err = strconv.ParseFloat(s, 64)
	case engine.Boolean:
		v, err = strconv.ParseBool(s)
	case engine.Timestamp:
		v, err = ParseTimestamp(s)
	default:
		return s, nil
	}
	if err != nil {
		return nil, fmt.Errorf("column %s (%s): cannot parse %q", c.Name, c.EngineType, s)
	}
	return v, nil
}

// ParseTimestamp reads the forms Athena writes for date, timestamp and
// timestamp with time zone ("2026-11-01 10:00:00.000",
// "2026-11-01 10:00:00.000 UTC", "2026-11-01 10:00:00.000 Europe/Paris")
// plus RFC 3339, and returns UTC.
func ParseTimestamp(s string) (time.Time, error) {
	for _, layout := range []string{"2006-01-02 15:04:05.999999999", time.RFC3339Nano, "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	i := strings.LastIndexByte(s, ' ')
	if i < 0 {
		return time.Time{}, fmt.Errorf("unrecognised timestamp %q", s)
	}
	base, zone := s[:i], s[i+1:]
	if t, err := time.Parse("2006-01-02 15:04:05.999999999 -07:00", base+" "+zone); err == nil {
		return t.UTC(), nil
	}
	loc, err := time.LoadLocation(zone)
	if err != nil {
		return time.Time{}, fmt.Errorf("timestamp %q: unknown zone %q", s, zone)
	}
	t, err := time.ParseInLocation("2006-01-02 15:04:05.999999999", base, loc)
	if err != nil {
		return time.Time{}, fmt.Errorf("unrecognised timestamp %q", s)
	}
	return t.UTC(), nil
}

// csvReader reads RFC 4180 records while remembering whether each field was
// quoted: Athena writes NULL as an empty unquoted field and the empty string
// as "", a difference encoding/csv erases. It is strict about stray quotes
// so a malformed object sends the engine to the paging fallback instead of
// returning shifted rows.
type csvReader struct {
	r    *bufio.Reader
	line int
	buf  strings.Builder
}

type csvField struct {
	text   string
	quoted bool
}

func newCSVReader(r io.Reader) *csvReader {
	return &csvReader{r: bufio.NewReaderSize(r, 64<<10)}
}

var errCSV = errors.New("malformed csv")

func (c *csvReader) next() ([]csvField, error) {
	c.line++
	if _, err := c.r.Peek(1); err != nil {
		return nil, err // io.EOF at a record boundary is the clean end
	}
	var rec []csvField
	for {
		f, end, err := c.field()
		if err != nil {
			return nil, fmt.Errorf("csv line %d: %w", c.line, err)
		}
		rec = append(rec, f)
		if end {
			return rec, nil
		}
	}
}

// field reads one field and its terminator; end reports the end of the
// record (newline or EOF).
func (c *csvReader) field() (f csvField, end bool, err error) {
	c.buf.Reset()
	b, err := c.r.ReadByte()
	if err == io.EOF {
		return f, true, nil
	}
	if err != nil {
		return f, false, err
	}
	if b != '"' {
		for {
			switch b {
			case ',':
				return csvField{text: c.buf.String()}, false, nil
			case '\n':
				return csvField{text: strings.TrimSuffix(c.buf.String(), "\r")}, true, nil
			case '"':
				return f, false, fmt.Errorf("%w: quote inside an unquoted field", errCSV)
			}
			c.buf.WriteByte(b)
			if b, err = c.r.ReadByte(); err == io.EOF {
				return csvField{text: c.buf.String()}, true, nil
			} else if err != nil {
				return f, false, err
			}
		}
	}
	for {
		b, err := c.r.ReadByte()
		if err == io.EOF {
			return f, false, fmt.Errorf("%w: unterminated quoted field", errCSV)
		}
		if err != nil {
			return f, false, err
		}
		if b == '\n' {
			c.line++
		}
		if b != '"' {
			c.buf.WriteByte(b)
			continue
		}
		nb, err := c.r.ReadByte()
		switch {
		case err == io.EOF:
			return csvField{text: c.buf.String(), quoted: true}, true, nil
		case err != nil:
			return f, false, err
		case nb == '"':
			c.buf.WriteByte('"')
		case nb == ',':
			return csvField{text: c.buf.String(), quoted: true}, false, nil
		case nb == '\n':
			return csvField{text: c.buf.String(), quoted: true}, true, nil
		case nb == '\r':
			if nl, err := c.r.ReadByte(); err == nil && nl == '\n' {
				return csvField{text: c.buf.String(), quoted: true}, true, nil
			}
			return f, false, fmt.Errorf("%w: carriage return after a closing quote", errCSV)
		default:
			return f, false, fmt.Errorf("%w: text after a closing quote", errCSV)
		}
	}
}
