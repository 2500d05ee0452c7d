package attack

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

func TestEmbeddedMappingParses(t *testing.T) {
	evs := Events()
	if len(evs) < 300 {
		t.Fatalf("embedded mapping has %d events; TrailDiscover describes about 380", len(evs))
	}
	for _, e := range evs {
		if e.Source == "" || e.Name == "" {
			t.Errorf("entry without source or name: %+v", e)
		}
		for _, r := range append(append([]Ref{}, e.Tactics...), e.Techniques...) {
			if r.ID == "" || r.Name == "" {
				t.Errorf("%s %s: ATT&CK ref without id or name: %+v", e.Source, e.Name, r)
			}
		}
	}
	if _, err := parse([]byte(`{"events":[]}`)); err == nil {
		t.Error("an empty mapping was accepted")
	}
	if _, err := parse([]byte(`{`)); err == nil {
		t.Error("a broken mapping was accepted")
	}
}

func TestLookup(t *testing.T) {
	e, ok := Lookup("cloudtrail.amazonaws.com", "StopLogging")
	if !ok || len(e.Tactics) == 0 || e.Tactics[0].ID != "TA0005" {
		t.Fatalf("StopLogging: %+v %v", e, ok)
	}
	// Lambda names carry an API version that changes over time.
	for _, n := range []string{"UpdateFunctionCode20150331v2", "UpdateFunctionCode20150331", "UpdateFunctionCode"} {
		if _, ok := Lookup("lambda.amazonaws.com", n); !ok {
			t.Errorf("lambda %s not found", n)
		}
	}
	if _, ok := Lookup("s3.amazonaws.com", "StopLogging"); ok {
		t.Error("a known name under the wrong source matched")
	}
	if _, ok := Lookup("", "StopLogging"); !ok {
		t.Error("a name known under exactly one source did not match without a source")
	}
	if _, ok := Lookup("", "CreateUser"); ok {
		t.Error("CreateUser is described under two sources; an empty source must not pick one")
	}
	if e, ok := Lookup("rolesanywhere.amazonaws.com", "CreateTrustAnchor"); !ok || e.Reason == "" {
		t.Errorf("supplement entry CreateTrustAnchor: %+v %v", e, ok)
	}
	if got := Describe([]string{"TA0005", "T1562.008", "T1666", "T9999"}); got[0].Name != "Defense Evasion" ||
		got[1].Name == "" || got[2].Name != "Modify Cloud Resource Hierarchy" || got[3].Name != "" {
		t.Errorf("Describe: %+v", got)
	}
}

// TestEmbeddedMappingIsCurrent regenerates the mapping from the TrailDiscover
// checkout, when present, and compares it with the committed file.
func TestEmbeddedMappingIsCurrent(t *testing.T) {
	src := filepath.Join("..", "..", "..", "shared", "datasets", "traildiscover")
	if _, err := os.Stat(filepath.Join(src, "events")); err != nil {
		t.Skipf("TrailDiscover checkout not here (%v); the generator's own tests still run", err)
	}
	out := filepath.Join(t.TempDir(), "m.json")
	cmd := exec.Command("go", "run", "../../tools/attackgen", "-in", src, "-out", out)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("attackgen: %v\n%s", err, b)
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, traildiscover) {
		var m Mapping
		_ = json.Unmarshal(got, &m)
		t.Errorf("internal/attack/traildiscover.json is stale (regenerated %d events); run go generate ./internal/attack", len(m.Events))
	}
}
