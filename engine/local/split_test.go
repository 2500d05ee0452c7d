package local

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestSplitRecords(t *testing.T) {
	pre := []byte(`{"p":1`)
	cases := []struct {
		doc      string
		from, to string
		want     string // lines joined by |
		n        int
		reason   string
	}{
		{doc: `{"Records":[]}`, want: ""},
		{doc: `{"Records":[{}]}`, want: `{"p":1}`, n: 1},
		{doc: `{"Records":[ { "a" : "x\"}]" , "b":[1,{"c":"]"}]} , null ]}`, want: `{"p":1,"a" : "x\"}]" , "b":[1,{"c":"]"}]}`, n: 1},
		{doc: "{\"x\":{\"Records\":1},\"Records\":[{\"eventTime\":\"2026-10-01T00:00:00Z\",\n\"r\":{\"eventTime\":\"1999\"}},{\"eventTime\":\"2026-10-02T00:00:00Z\"},{\"n\":1}]}",
			from: "2026-10-01T00:00:00Z", to: "2026-10-02T00:00:00Z",
			want: `{"p":1,"eventTime":"2026-10-01T00:00:00Z", "r":{"eventTime":"1999"}}`, n: 1},
		{doc: `{"Records":[{"a":"\\"},{"b":2}]}`, want: `{"p":1,"a":"\\"}|{"p":1,"b":2}`, n: 2},
		{doc: `{"Records":[{"d":` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `}]}`, want: `{"p":1,"d":` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `}`, n: 1},
		{doc: `{"Records":null}`, reason: `not CloudTrail JSON: no "Records" array`},
		{doc: `{"records":[]}`, reason: `not CloudTrail JSON: no "Records" array`},
		{doc: `{"Records":[1]}`, reason: `not CloudTrail JSON: record 1 is not an object`},
		{doc: `{"Records":{}}`, reason: `not CloudTrail JSON: json: cannot unmarshal object into Go struct field .Records of type []json.RawMessage`},
		{doc: `{"Records":[{"a":1}`, reason: `not CloudTrail JSON: unexpected end of JSON input`},
		{doc: `{"Records":[{"a":1]}]}`, reason: `not CloudTrail JSON: invalid character ']' after object key:value pair`},
	}
	for _, c := range cases {
		out, n, reason := splitChecked(nil, []byte(c.doc), pre, &recordFilter{from: c.from, to: c.to})
		got := strings.ReplaceAll(strings.TrimSuffix(string(out), "\n"), "\n", "|")
		if reason != c.reason || n != c.n || (c.reason == "" && got != c.want) {
			t.Errorf("%s:\n got %q n=%d reason %q\nwant %q n=%d reason %q", c.doc, got, n, reason, c.want, c.n, c.reason)
		}
		for _, line := range strings.Split(string(out), "\n") {
			if line != "" && !json.Valid([]byte(line)) {
				t.Errorf("%s: invalid line %q", c.doc, line)
			}
		}
	}
}

// TestSplitRecordsKeys: with keys set, a record keeps only those members
// (and any key written with escapes), newlines folded.
func TestSplitRecordsKeys(t *testing.T) {
	f := &recordFilter{keys: map[string]bool{"a": true, "c": true}}
	doc := "{\"Records\":[{\"a\":1,\"b\":{\"a\":2},\"c\":\"x\\ny\",\n\"d\":[1],\"\\u0064\":3},{\"b\":1}]}"
	out, n, reason := splitChecked(nil, []byte(doc), []byte(`{"p":1`), f)
	want := "{\"p\":1,\"a\":1,\"c\":\"x\\ny\",\"\\u0064\":3}\n{\"p\":1}\n"
	if reason != "" || n != 2 || string(out) != want {
		t.Errorf("got %q n=%d reason %q, want %q", out, n, reason, want)
	}
	for _, line := range strings.Split(strings.TrimSuffix(string(out), "\n"), "\n") {
		if !json.Valid([]byte(line)) {
			t.Errorf("invalid line %q", line)
		}
	}
}
