# The two commands a newcomer needs: `make dev` runs socflow, `make test`
# runs every test (the same command .ci/run runs).

.PHONY: dev test build bench record-histories

dev:
	go run ./cmd/socflow dev

test:
	@unformatted="$$(gofmt -l .)"; if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	go vet ./...
	go test -race -count=1 -timeout 30m ./...

build:
	go build -o bin/socflow ./cmd/socflow

bench:
	go test -run '^$$' -bench . -benchtime 1x ./tests/integration/
	go test -run '^$$' -bench . ./policy/ ./integrations/intel/

record-histories:
	go test -count=1 -run TestRecordHistories ./tests/integration/ -args -record
