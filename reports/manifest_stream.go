package reports

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"reflect"

	"github.com/ctathena/ctathena/engine"
)

// writeManifest writes exactly the bytes of encodeManifest without holding
// them: the lists that grow with the evidence (every source file, every
// finding with its event ids, every integrity status) are written one
// element at a time. A 500,000-event hunt's manifest is 53 MB; encoded in
// one piece, with its indented copy, it took 140 MiB.
//
// The manifest is encoded with those lists empty, and each "[]" is then
// replaced, in document order, by the list. A raw newline cannot occur
// inside a JSON string, so "\n<indent>\"key\": []" is only ever the list.
func writeManifest(out io.Writer, m *Manifest) error {
	small := *m
	type splice struct {
		within, key string // the object holding it ("" for the top), its key
		indent      string
		list        any
	}
	var lists []splice
	if m.Coverage.Files.Len() > 0 {
		small.Coverage.Files = engine.SourceFiles{}
		lists = append(lists, splice{"coverage", "files", "    ", m.Coverage.Files})
	}
	if len(m.Findings) > 0 {
		small.Findings = []ManifestFinding{}
		lists = append(lists, splice{"", "findings", "  ", m.Findings})
	}
	if len(m.Files) > 0 {
		small.Files = []ManifestFile{}
		lists = append(lists, splice{"", "files", "  ", m.Files})
	}
	if len(m.Integrity.Files) > 0 {
		small.Integrity.Files = []IntegrityFile{}
		lists = append(lists, splice{"integrity", "files", "    ", m.Integrity.Files})
	}
	head, err := encodeManifest(&small)
	if err != nil {
		return err
	}
	at := 0
	for _, l := range lists {
		if l.within != "" {
			i := bytes.Index(head[at:], []byte("\n  \""+l.within+"\": {"))
			if i < 0 {
				return fmt.Errorf("encode manifest: no %s object", l.within)
			}
			at += i
		}
		marker := []byte("\n" + l.indent + "\"" + l.key + "\": []")
		i := bytes.Index(head[at:], marker)
		if i < 0 {
			return fmt.Errorf("encode manifest: no %s list", l.key)
		}
		cut := at + i + len(marker) - len("[]")
		if _, err := out.Write(head[:cut]); err != nil {
			return err
		}
		if err := writeList(out, l.indent, l.list); err != nil {
			return err
		}
		head = head[cut+len("[]"):]
		at = 0
	}
	_, err = out.Write(head)
	return err
}

// writeList writes list (a non-empty slice) as encoding/json indents it
// under a key at indent.
func writeList(out io.Writer, indent string, list any) error {
	if l, ok := list.(engine.SourceFiles); ok {
		return l.WriteIndented(out, indent, "  ")
	}
	v := reflect.ValueOf(list)
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent(indent+"  ", "  ")
	if _, err := io.WriteString(out, "[\n"); err != nil {
		return err
	}
	for i := range v.Len() {
		buf.Reset()
		if i > 0 {
			buf.WriteString(",\n")
		}
		buf.WriteString(indent + "  ")
		if err := enc.Encode(v.Index(i).Interface()); err != nil {
			return fmt.Errorf("encode manifest: %w", err)
		}
		buf.Truncate(buf.Len() - 1) // Encode's newline
		if _, err := out.Write(buf.Bytes()); err != nil {
			return err
		}
	}
	_, err := io.WriteString(out, "\n"+indent+"]")
	return err
}
