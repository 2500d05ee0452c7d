# ctathena — the two commands a newcomer needs are `make demo` and `make test`.
SHELL := /bin/bash
GO ?= go
COMMIT := $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
LDFLAGS := -X main.commit=$(COMMIT)
BIN := bin/ctathena
# Packages without cgo run under the race detector too.
PURE_PKGS := ./sql/... ./investigate/... ./reports/... ./tables/... ./engine/athena/...

.PHONY: all build demo test test-race vet lint bench bench-local bench-reports bench-athena test-localstack sample clean

all: build

build:
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/ctathena

# Runs exfil on the bundled sample organization trail and writes an evidence bundle.
demo: build
	./$(BIN) exfil --logs testdata/sample --bucket payroll-exports \
		--since 2026-11-05 --until 2026-11-08 \
		--case DEMO-1 --examiner "$${USER:-examiner}"

# Every test: unit, golden, local engine, CLI end to end, moto (started by the tests themselves),
# LibreOffice opening the reports.
test: vet
	$(GO) test -count=1 -timeout 40m ./...
	$(GO) test -count=1 -race -timeout 20m $(PURE_PKGS)

vet:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { echo "gofmt needed:"; gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(GO) vet ./...

lint:
	$(GO) run github.com/golangci/golangci-lint/v2/cmd/golangci-lint@v2.15.0 run ./...

# Benchmarks: ratios against baselines run side by side (see README "Performance").
bench: bench-local bench-reports bench-athena

bench-local:
	$(GO) test -run '^$$' -bench . -benchtime 1x -timeout 60m ./bench/...

bench-reports:
	$(GO) test -run '^$$' -bench . -benchtime 1x -timeout 30m ./reports/...

bench-athena:
	$(GO) test -run '^$$' -bench . -benchtime 1x -timeout 10m ./engine/athena/...

# The AWS integration tests against LocalStack (paid edition for Athena and Glue; opt-in).
test-localstack:
	AWS_ENDPOINT_URL=$${AWS_ENDPOINT_URL:-http://localhost:4566} CTATHENA_EMULATOR=external \
		$(GO) test -count=1 -timeout 20m ./tables/... ./engine/athena/... ./cmd/...

# Regenerate the bundled sample byte for byte.
sample:
	cd tools/trailgen && $(GO) generate .

clean:
	rm -rf bin
