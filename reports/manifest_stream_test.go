package reports

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/ctathena/ctathena/engine"
)

// TestManifestStreamedExactly: manifest.json written list by list is
// byte for byte what encoding it whole gives, for empty, nil and long
// lists and for text JSON escapes (HTML characters, quotes, newlines,
// control characters, a value that looks like a list marker).
func TestManifestStreamedExactly(t *testing.T) {
	written, err := Write(t.TempDir(), sampleBundle())
	if err != nil {
		t.Fatal(err)
	}
	base := &written.Manifest
	odd := []string{`<script>&"x"</script>`, "line\n    \"files\": []", "\x00\x1b\u2028", "plain"}
	variants := map[string]func(m *Manifest){
		"as built": func(m *Manifest) {},
		"long lists": func(m *Manifest) {
			for i := range 300 {
				s := odd[i%len(odd)]
				sha := "ab"
				if i%3 == 0 {
					sha = fmt.Sprintf("%064x", i)
				}
				m.Coverage.Files.Append(engine.SourceFile{Path: fmt.Sprintf("AWSLogs/%d/%s.json.gz", i, s), Size: int64(i), SHA256: sha})
				m.Findings = append(m.Findings, ManifestFinding{Number: i, Severity: "high", Text: s, EventIDs: []string{s, "e"}, Attack: []string{}})
				m.Files = append(m.Files, ManifestFile{Path: s, SHA256: "cd", Bytes: int64(i)})
				m.Integrity.Files = append(m.Integrity.Files, IntegrityFile{Path: s, SHA256: "ef", Status: "verified"})
			}
			m.Coverage.Store = &engine.StoreCoverage{Files: []engine.StoreFile{{}}}
		},
		"empty lists": func(m *Manifest) {
			m.Coverage.Files, m.Findings, m.Files, m.Integrity.Files = engine.SourceFiles{}, []ManifestFinding{}, []ManifestFile{}, []IntegrityFile{}
		},
		"nil lists": func(m *Manifest) {
			m.Coverage.Files, m.Findings, m.Files, m.Integrity.Files = engine.SourceFiles{}, nil, nil, nil
		},
	}
	for name, change := range variants {
		m := *base
		change(&m)
		want, err := encodeManifest(&m)
		if err != nil {
			t.Fatal(err)
		}
		var got bytes.Buffer
		if err := writeManifest(&got, &m); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !bytes.Equal(got.Bytes(), want) {
			i := 0
			for i < min(got.Len(), len(want)) && got.Bytes()[i] == want[i] {
				i++
			}
			t.Errorf("%s: differs at byte %d:\n got …%q\nwant …%q", name, i, got.Bytes()[max(0, i-80):min(got.Len(), i+80)], want[max(0, i-80):min(len(want), i+80)])
		}
	}
}
