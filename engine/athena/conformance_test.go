package athena

import (
	"testing"

	"github.com/ctathena/ctathena/engine"
	"github.com/ctathena/ctathena/engine/enginetest"
	"github.com/ctathena/ctathena/internal/moto"
)

// motoHarness runs the conformance suite against the engine talking to
// moto. moto executes no SQL: Prime queues the expected answer, so the suite
// checks transport — parameters, CSV quoting, NULL versus empty, types,
// paging fallback — not evaluation.
type motoHarness struct {
	srv *moto.Server
	e   *Engine
}

func (h *motoHarness) Engine(t *testing.T) engine.Engine {
	e, srv, _, _ := motoEngine(t)
	h.srv, h.e = srv, e
	return e
}

func (h *motoHarness) Prime(t *testing.T, cols []engine.Column, rows [][]any) {
	Prime(t, h.srv, cols, rows)
}

func TestConformanceOnMoto(t *testing.T) {
	enginetest.RunWith(t, &motoHarness{}, enginetest.Options{SkipCancel: true, SkipInvalidSQL: true})
}
