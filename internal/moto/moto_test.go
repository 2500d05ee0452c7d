package moto

import (
	"context"
	"net/http"
	"testing"
)

func TestStartServesAndQueues(t *testing.T) {
	s := Start(t)
	resp, err := http.Get(s.URL + "/moto-api/data.json")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("data.json status %d", resp.StatusCode)
	}
	ctx := context.Background()
	if err := s.QueueAthenaResults(ctx, Region, AthenaResult{
		Rows:       []Row{{Data: []Datum{{VarCharValue: Str("n")}}}, {Data: []Datum{{}}}},
		ColumnInfo: []ColumnInfo{{Name: "n", Type: "bigint"}},
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.Reset(ctx); err != nil {
		t.Fatal(err)
	}
}
