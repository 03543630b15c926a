# logistis: `make demo` runs the main job, `make test` passes every test. Both work on a fresh machine
# that has Go, apt and npm: Node.js 24 comes from the repo's devDependencies, the control plane is built
# from Go modules into ~/.cache/logistis (reused by later runs and fresh clones on the same machine).
SHELL := /bin/bash
NODE := $(CURDIR)/node_modules/.bin/node
NPM_STAMP := node_modules/.install-stamp
SRC := $(shell find src -name '*.ts' 2>/dev/null)
export PATH := $(CURDIR)/node_modules/.bin:$(PATH)

PHONY_UI := chromium test-browser
.PHONY: all build install typecheck lint check-layers test test-unit test-integration test-e2e test-e2e-postgres $(PHONY_UI) postgres control-plane demo bench bench-smoke clean \
	helm image image-push deploy undeploy manifests

all: build

$(NPM_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@test -x $(NODE) || { echo "Node.js 24 did not install into node_modules/.bin/node"; exit 1; }
	@touch $@

install: $(NPM_STAMP)

dist/.build-stamp: $(NPM_STAMP) $(SRC) tsconfig.json tsconfig.build.json
	rm -rf dist && npx tsc -p tsconfig.build.json
	@touch $@

WEB_SRC := $(shell find web/src -type f 2>/dev/null) web/index.html web/vite.config.ts

# The dashboard (web/): built by Vite into web/dist, served by `logistis serve` at /ui/.
web/dist/.build-stamp: $(NPM_STAMP) $(WEB_SRC) $(shell find src/api -name '*.ts')
	cd web && npx vite build --logLevel warn
	@touch $@

build: dist/.build-stamp web/dist/.build-stamp

# Debian's Chromium for the browser tests (test/browser), installed from apt when missing.
chromium:
	@bash scripts/ensure-chromium.sh

typecheck: $(NPM_STAMP)
	npx tsc --noEmit -p tsconfig.json
	npx tsc --noEmit -p web/tsconfig.json

lint: $(NPM_STAMP)
	npx eslint --max-warnings 0 .

# The import rules of docs/architecture.md (layers, route files, Fastify, terminal code, test code), checked by
# dependency-cruiser against .dependency-cruiser.js.
check-layers: $(NPM_STAMP)
	depcruise --config .dependency-cruiser.js src web/src harness scripts bench test

control-plane:
	@bash scripts/build-control-plane.sh >/dev/null

test-unit: $(NPM_STAMP)
	$(NODE) --test --test-reporter=spec --test-timeout=300000 "test/unit/**/*.test.ts"

test-integration: build helm postgres
	$(NODE) --test --test-reporter=spec --test-timeout=300000 --test-concurrency=1 "test/integration/**/*.test.ts"

test-e2e: build control-plane helm postgres
	$(NODE) --test --test-reporter=spec --test-timeout=300000 --test-concurrency=1 "test/e2e/**/*.test.ts"

# One node:test run over every suite, so CI reads a single summary. test/e2e/capture-postgres.test.ts runs the
# capture suite once more on a real PostgreSQL (installed by scripts/install-postgres.sh when missing).
test: build control-plane helm chromium typecheck lint check-layers postgres
	$(NODE) --test --test-reporter=spec --test-timeout=300000 --test-concurrency=1 "test/unit/**/*.test.ts" "test/integration/**/*.test.ts" "test/e2e/**/*.test.ts" "test/browser/**/*.test.ts"

# The e2e suites on PostgreSQL: E2E_POSTGRES lists the files (default: the capture suite).
E2E_POSTGRES ?= test/e2e/capture.test.ts
test-e2e-postgres: build control-plane helm postgres
	LOGISTIS_TEST_STORE=postgres $(NODE) --test --test-reporter=spec --test-timeout=300000 --test-concurrency=1 $(E2E_POSTGRES)

postgres:
	@bash scripts/install-postgres.sh >/dev/null

test-browser: build chromium
	$(NODE) --test --test-reporter=spec --test-timeout=300000 --test-concurrency=1 "test/browser/**/*.test.ts"

demo: build control-plane
	$(NODE) scripts/demo.ts $(if $(ONCE),--once,)

bench: build postgres
	$(NODE) bench/run.ts

bench-smoke: build postgres
	$(NODE) bench/run.ts --smoke

# Image, chart and deployment (docs/deploy.md). Set IMAGE_REPO, IMAGE_TAG and DOCKER_BUILD_ARGS (e.g.
# --build-arg BASEIMAGE=... --build-arg RUNIMAGE=...) on the command line or in .local/Makefile, whose last lines
# hand every target back to this Makefile.
IMAGE_REPO ?= logistis
IMAGE_TAG ?= $(shell sed -nE 's/^  "version": "([^"]+)".*/\1/p' package.json)
DOCKER ?= docker
DOCKER_BUILD_ARGS ?=
KUBECTL ?= kubectl
DEPLOY_RELEASE ?= logistis
DEPLOY_NAMESPACE ?= logistis-system
# More `helm upgrade` arguments, e.g. DEPLOY_ARGS='-f my-values.yaml --set webhook.timeoutSeconds=3'.
DEPLOY_ARGS ?=
# watcher: return once the server is ready; hookOnly: return once the objects are created.
DEPLOY_WAIT ?= watcher
CHART := deploy/helm/logistis
# The namespace label that lets `make undeploy` delete only a namespace that `make deploy` created.
DEPLOY_NAMESPACE_LABEL := logistis.io/created-by=make-deploy

helm:
	@bash scripts/build-helm.sh >/dev/null

image:
	$(DOCKER) build $(DOCKER_BUILD_ARGS) -t $(IMAGE_REPO):$(IMAGE_TAG) .

image-push:
	$(DOCKER) push $(IMAGE_REPO):$(IMAGE_TAG)

deploy:
	@helm="$$(bash scripts/build-helm.sh)" && \
	if ! $(KUBECTL) get namespace $(DEPLOY_NAMESPACE) >/dev/null 2>&1; then \
	  $(KUBECTL) create namespace $(DEPLOY_NAMESPACE) && \
	  $(KUBECTL) label namespace $(DEPLOY_NAMESPACE) $(DEPLOY_NAMESPACE_LABEL) pod-security.kubernetes.io/enforce=restricted; \
	fi && \
	"$$helm" upgrade --install $(DEPLOY_RELEASE) $(CHART) --namespace $(DEPLOY_NAMESPACE) \
	  --set image.repository=$(IMAGE_REPO) --set image.tag=$(IMAGE_TAG) --wait=$(DEPLOY_WAIT) --timeout 5m $(DEPLOY_ARGS)

# Removes the release, what Helm keeps on uninstall (the redaction key, the store's volume) and the namespace if
# `make deploy` created it. The recorded history goes with it.
undeploy:
	@helm="$$(bash scripts/build-helm.sh)" && \
	"$$helm" uninstall $(DEPLOY_RELEASE) --namespace $(DEPLOY_NAMESPACE) --ignore-not-found && \
	$(KUBECTL) delete secret,persistentvolumeclaim --namespace $(DEPLOY_NAMESPACE) --ignore-not-found \
	  -l app.kubernetes.io/instance=$(DEPLOY_RELEASE) && \
	$(KUBECTL) delete namespace -l $(DEPLOY_NAMESPACE_LABEL) --field-selector metadata.name=$(DEPLOY_NAMESPACE) --wait=false

# deploy/manifests/: the chart rendered for people who don't use Helm (a test checks it is current).
manifests:
	@node_modules/.bin/node scripts/render-manifests.ts

clean:
	rm -rf dist web/dist node_modules/.install-stamp
