# logistis: `make demo` runs the main job, `make test` passes every test. Both work on a fresh machine
# that has Go, apt and npm: Node.js 24 comes from the repo's devDependencies, the control plane is built
# from Go modules into ~/.cache/logistis (reused by later runs and fresh clones on the same machine).
SHELL := /bin/bash
NODE := $(CURDIR)/node_modules/.bin/node
NPM_STAMP := node_modules/.install-stamp
SRC := $(shell find src -name '*.ts' 2>/dev/null)
export PATH := $(CURDIR)/node_modules/.bin:$(PATH)

.PHONY: all build install typecheck lint test test-unit test-integration test-e2e control-plane demo bench bench-smoke clean

all: build

$(NPM_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@test -x $(NODE) || { echo "Node.js 24 did not install into node_modules/.bin/node"; exit 1; }
	@touch $@

install: $(NPM_STAMP)

dist/.build-stamp: $(NPM_STAMP) $(SRC) tsconfig.json tsconfig.build.json
	rm -rf dist && npx tsc -p tsconfig.build.json
	@touch $@

build: dist/.build-stamp

typecheck: $(NPM_STAMP)
	npx tsc --noEmit -p tsconfig.json

lint: $(NPM_STAMP)
	npx eslint .

control-plane:
	@bash scripts/build-control-plane.sh >/dev/null

test-unit: $(NPM_STAMP)
	$(NODE) --test --test-reporter=spec --test-timeout=300000 "test/unit/**/*.test.ts"

test-integration: build
	$(NODE) --test --test-reporter=spec --test-timeout=300000 --test-concurrency=1 "test/integration/**/*.test.ts"

test-e2e: build control-plane
	$(NODE) --test --test-reporter=spec --test-timeout=300000 --test-concurrency=1 "test/e2e/**/*.test.ts"

# One node:test run over every suite, so CI reads a single summary.
test: build control-plane typecheck lint
	$(NODE) --test --test-reporter=spec --test-timeout=300000 --test-concurrency=1 "test/unit/**/*.test.ts" "test/integration/**/*.test.ts" "test/e2e/**/*.test.ts"

demo: build control-plane
	$(NODE) scripts/demo.ts $(if $(ONCE),--once,)

bench: build
	$(NODE) bench/run.ts

bench-smoke: build
	$(NODE) bench/run.ts --smoke

clean:
	rm -rf dist node_modules/.install-stamp
