# The two commands a newcomer needs: `make dev` runs socflow, `make test`
# runs every test (the same command .ci/run runs). The tests run with a
# throwaway PostgreSQL server (scripts/with-postgres installs Debian's when
# absent, starts it on a free port and stops it afterwards), so that the
# PostgreSQL store and topology tests run too; scripts/with-chromium does
# the same for the headless Chromium the browser tests (tests/browser) drive.

.PHONY: dev test build bench fuzz record-histories

# Every decoder and parser has a fuzz target; CI runs each for a bounded
# time on top of its seed corpus (FUZZTIME per target).
FUZZTIME ?= 4s
FUZZ_TARGETS = \
	./intake/decode:FuzzDefender ./intake/decode:FuzzDetect ./intake/decode:FuzzElastic \
	./intake/decode:FuzzFalcon ./intake/decode:FuzzGeneric ./intake/decode:FuzzGraph \
	./intake/decode:FuzzGuardDuty ./intake/decode:FuzzNative ./intake/decode:FuzzOCSF \
	./intake/decode:FuzzSplunk ./intake/decode:FuzzSuricata ./intake/decode:FuzzWazuh \
	./intake/decode:FuzzTopLevel ./intake:FuzzParse ./integrations/events:FuzzDecodeBatch ./integrations/intel:FuzzReducePattern \
	./integrations/intel:FuzzCSVReader ./intake:FuzzJSONBound ./intake/decode:FuzzNativeFastPath \
	./intake/decode:FuzzPlainString ./alert:FuzzSeverityJSON ./intake/decode:FuzzSplitArray

dev:
	go run ./cmd/socflow dev

test:
	@unformatted="$$(gofmt -l .)"; if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	go vet ./...
	scripts/with-postgres scripts/with-chromium go test -race -count=1 -timeout 30m ./...
	$(MAKE) --no-print-directory fuzz

fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; name=$${t##*:}; \
		echo "fuzz $$pkg $$name ($(FUZZTIME))"; \
		go test -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZTIME) $$pkg > /tmp/socflow-fuzz.log 2>&1 || \
		if grep -q 'context deadline exceeded' /tmp/socflow-fuzz.log && ! grep -q 'Failing input written' /tmp/socflow-fuzz.log; then \
			echo "fuzz $$pkg $$name: the fuzzer's own deadline error, no failing input (go.dev/issue/75804, fixed in Go 1.27; this is 1.26): once more"; \
			go test -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZTIME) $$pkg > /tmp/socflow-fuzz.log 2>&1 || { cat /tmp/socflow-fuzz.log; exit 1; }; \
		else cat /tmp/socflow-fuzz.log; exit 1; fi; \
	done

build:
	go build -o bin/socflow ./cmd/socflow

# socflow bench is the pipeline against the bare engine (README,
# Performance); the rest are the component benchmarks.
bench:
	go run ./cmd/socflow bench
	go test -run '^$$' -bench . -benchtime 1x ./tests/integration/
	go test -run '^$$' -bench . ./policy/ ./integrations/intel/

# Records a history of every scenario into tests/replay/testdata as
# <YYYYMMDD>-<commit>-<type>-<scenario>.json (never over an existing file),
# appends their lines to histories.sum, then replays them all (which names
# any recorded scenario still in pendingScenarios: drop it there). Commit
# first so that the names carry the commit; README, Tests and benchmarks.
record-histories:
	go test -count=1 -run TestRecordHistories ./tests/integration/ -args -record
	go test -count=1 ./tests/replay/
