package main

import (
	"strings"
	"testing"
	"testing/fstest"
)

func TestBuildReadsTrailDiscoverEvents(t *testing.T) {
	fsys := fstest.MapFS{
		"events/CloudTrail/StopLogging.json": {Data: []byte(`{"eventName":"StopLogging","eventSource":"cloudtrail.amazonaws.com",
			"awsService":"CloudTrail","description":" Stops it. ","mitreAttackTactics":["TA0005 - Defense Evasion"],
			"mitreAttackTechniques":["T1562 - Impair Defenses"],
			"mitreAttackSubTechniques":["T1562.008 - Impair Defenses: Disable or Modify Cloud Logs","T1562.001: Impair Defenses: Disable or Modify Tools","T1562 - Impair Defenses"],
			"usedInWild":true}`)},
		"events/CloudTrail/StopLogging.json.cloudtrail": {Data: []byte(`not read`)},
		"events/A/Z.json": {Data: []byte(`{"eventName":"Z","eventSource":"a.amazonaws.com","mitreAttackTactics":[],"mitreAttackTechniques":[],"mitreAttackSubTechniques":[]}`)},
	}
	m, err := build(fsys)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Events) != 2 || m.Events[0].Name != "Z" {
		t.Fatalf("events not sorted by source: %+v", m.Events)
	}
	e := m.Events[1]
	if e.Description != "Stops it." || !e.UsedInTheWild || len(e.Tactics) != 1 || e.Tactics[0] != (Ref{ID: "TA0005", Name: "Defense Evasion"}) {
		t.Errorf("entry %+v", e)
	}
	var ids []string
	for _, r := range e.Techniques {
		ids = append(ids, r.ID+"="+r.Name)
	}
	want := "T1562=Impair Defenses,T1562.001=Impair Defenses: Disable or Modify Tools,T1562.008=Impair Defenses: Disable or Modify Cloud Logs"
	if strings.Join(ids, ",") != want {
		t.Errorf("techniques\n got %s\nwant %s", strings.Join(ids, ","), want)
	}
	if m.Events[0].Tactics == nil || m.Events[0].Techniques == nil {
		t.Error("empty lists must encode as [], not null")
	}
}

func TestBuildRefusesBadInput(t *testing.T) {
	for name, fsys := range map[string]fstest.MapFS{
		"duplicate": {
			"events/A/X.json": {Data: []byte(`{"eventName":"X","eventSource":"a"}`)},
			"events/B/X.json": {Data: []byte(`{"eventName":"X","eventSource":"a"}`)},
		},
		"bad id":   {"events/A/X.json": {Data: []byte(`{"eventName":"X","eventSource":"a","mitreAttackTactics":["Defense Evasion"]}`)}},
		"no name":  {"events/A/X.json": {Data: []byte(`{"eventSource":"a"}`)}},
		"not json": {"events/A/X.json": {Data: []byte(`{`)}},
		"empty":    {"events/README": {Data: []byte(`x`)}},
	} {
		if _, err := build(fsys); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
