package engine

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"testing"
)

// sourceLists are lists as every engine gives them: the local engine's
// (folders, names, hashes), Athena's (S3 paths, ETags, no hash), and odd
// strings a decoded manifest may hold.
func sourceLists() map[string][]SourceFile {
	var local, athena, odd []SourceFile
	for i := range 50 {
		local = append(local, SourceFile{Path: fmt.Sprintf("AWSLogs/o-a1/1111/CloudTrail/us-east-1/2026/10/%02d/f%d.json.gz", i/7, i), Size: int64(100 + i), SHA256: fmt.Sprintf("%064x", i*7919)})
		athena = append(athena, SourceFile{Path: fmt.Sprintf("s3://trail/AWSLogs/2222/CloudTrail/eu-west-1/2026/10/%02d/f%d.json.gz", i/9, i), Size: int64(i), ETag: fmt.Sprintf(`"%x"`, i)})
	}
	for i, s := range []string{"plain.json", "/abs/x.json", "a//b.json", "dir/", `<script>&"x"</script>`, "line\n    \"files\": []", "\x00\x1b\u2028", "caf\xc3\xa9/\xff.json", "", "sub/up.json"} {
		sha := []string{"", "ab", fmt.Sprintf("%064X", i+1), fmt.Sprintf("%064x", i+1)}[i%4]
		odd = append(odd, SourceFile{Path: s, Size: int64(i), SHA256: sha, ETag: []string{"", "e"}[i%2]})
	}
	return map[string][]SourceFile{"local": local, "athena": athena, "odd": odd, "one": local[:1], "empty": {}}
}

// TestSourceFilesJSON: the list encodes, indented or compact, streamed or
// not, to the very bytes of the []SourceFile it holds, and decodes back.
func TestSourceFilesJSON(t *testing.T) {
	type withList struct {
		Files []SourceFile `json:"files"`
	}
	type withFiles struct {
		Files SourceFiles `json:"files"`
	}
	for name, list := range sourceLists() {
		l := NewSourceFiles(list)
		if l.Len() != len(list) || (len(list) > 0 && !reflect.DeepEqual(l.List(), list)) {
			t.Errorf("%s: List() = %+v, want %+v", name, l.List(), list)
		}
		for _, indent := range []string{"", "  "} {
			enc := func(v any) []byte {
				var b bytes.Buffer
				e := json.NewEncoder(&b)
				e.SetEscapeHTML(false)
				e.SetIndent("", indent)
				if err := e.Encode(v); err != nil {
					t.Fatal(err)
				}
				return b.Bytes()
			}
			want, got := enc(withList{Files: append([]SourceFile{}, list...)}), enc(withFiles{Files: l})
			if !bytes.Equal(got, want) {
				t.Errorf("%s, indent %q:\n got %s\nwant %s", name, indent, got, want)
			}
			// Decoded, it is what the slice decodes to (invalid UTF-8 was
			// written as U+FFFD).
			var back withFiles
			var slice withList
			if err := json.Unmarshal(want, &slice); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(got, &back); err != nil || back.Files.Len() != len(slice.Files) || (len(slice.Files) > 0 && !reflect.DeepEqual(back.Files.List(), slice.Files)) {
				t.Errorf("%s: decoded %+v (%v), want %+v", name, back.Files.List(), err, slice.Files)
			}
		}
		if len(list) == 0 {
			continue
		}
		// As the manifest streams it: the list alone, under a key at a
		// prefix.
		var want bytes.Buffer
		e := json.NewEncoder(&want)
		e.SetEscapeHTML(false)
		e.SetIndent("    ", "  ")
		if err := e.Encode(list); err != nil {
			t.Fatal(err)
		}
		var got bytes.Buffer
		if err := l.WriteIndented(&got, "    ", "  "); err != nil {
			t.Fatal(err)
		}
		if w := bytes.TrimSuffix(want.Bytes(), []byte("\n")); !bytes.Equal(got.Bytes(), w) {
			t.Errorf("%s streamed:\n got %s\nwant %s", name, got.Bytes(), w)
		}
	}
}

// TestSourceFilesAdd: files added by folder share it, and read back as
// their paths.
func TestSourceFilesAdd(t *testing.T) {
	var l SourceFiles
	sum := [32]byte{1, 2, 3}
	l.Add("a/b", "x.json", 10, &sum)
	l.Add("a/b", "y.json", 11, nil)
	l.Add("", "top.json", 12, &sum)
	l.Add("c", "z.json", 13, &sum)
	if len(l.dirs) != 2 {
		t.Errorf("folders %q, want a/b and c once each", l.dirs)
	}
	want := []SourceFile{
		{Path: "a/b/x.json", Size: 10, SHA256: "0102030000000000000000000000000000000000000000000000000000000000"},
		{Path: "a/b/y.json", Size: 11},
		{Path: "top.json", Size: 12, SHA256: "0102030000000000000000000000000000000000000000000000000000000000"},
		{Path: "c/z.json", Size: 13, SHA256: "0102030000000000000000000000000000000000000000000000000000000000"},
	}
	if got := l.List(); !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
}
