# hotline — build, run, test, bench, eval. Every target installs the Debian packages it needs when missing,
# so a fresh Debian 12 machine needs nothing but `make run` or `make test`.

SHELL := /bin/bash
GO ?= go
export CGO_ENABLED := 1
BIN := $(CURDIR)/bin/hotline
STATICCHECK_VERSION := v0.8.2
BENCHSTAT_VERSION := v0.0.0-20260908200009-22c9c6c9d4da

# Debian packages: signalling peer (sipp), resampling, recognition, synthesis, audio tools, browser, database,
# network namespaces. Listed by the file each one puts on the machine, so the check is cheap when all are there.
DEB_PACKAGES := sip-tester libsoxr-dev libpocketsphinx-dev libsphinxbase-dev pocketsphinx pocketsphinx-en-us \
	sphinxtrain flite flite1-dev espeak-ng sox chromium postgresql iproute2 util-linux pkg-config
DEB_MARKERS := /usr/bin/sipp /usr/include/soxr.h /usr/include/pocketsphinx/pocketsphinx.h \
	/usr/share/pocketsphinx/model/en-us/en-us/mdef /usr/include/flite/flite.h /usr/bin/flite /usr/bin/espeak-ng \
	/usr/bin/sox /usr/bin/chromium /usr/lib/postgresql /usr/sbin/ip /usr/bin/unshare /usr/bin/pkg-config

.PHONY: all deps build run test lint unit fuzz bench eval clean

all: build

deps:
	@missing=0; for f in $(DEB_MARKERS); do [ -e "$$f" ] || missing=1; done; \
	if [ $$missing = 1 ]; then \
		echo "installing Debian packages: $(DEB_PACKAGES)"; \
		SUDO=; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $(DEB_PACKAGES) >/dev/null; \
	fi
	@$(GO) mod download

build: deps
	$(GO) build -o $(BIN) ./cmd/hotline

run: build
	$(BIN) serve

lint: deps
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { echo "gofmt needed:"; gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) ./...

# Tests run inside a network namespace that has only loopback (when we may create one), so nothing can leave the
# machine and WebRTC's ICE sees only 127.0.0.1. Modules are downloaded first, outside it.
NETNS := $(shell if [ "$$(id -u)" = 0 ] && unshare --net true 2>/dev/null; then echo 'unshare --net'; fi)

test: build lint
	$(GO) test -race -count=1 -run XXX_COMPILE_ONLY ./... >/dev/null
	HOTLINE_BIN=$(BIN) GOFLAGS=-mod=readonly GOPROXY=off $(NETNS) bash -c 'ip link set lo up 2>/dev/null; \
		$(GO) test -race -count=1 -timeout 14m ./...'
	HOTLINE_BIN=$(BIN) GOPROXY=off $(NETNS) bash -c 'ip link set lo up 2>/dev/null; ./scripts/fuzz.sh 10s'

unit: build
	HOTLINE_BIN=$(BIN) $(GO) test -count=1 ./...

fuzz: build
	HOTLINE_BIN=$(BIN) ./scripts/fuzz.sh 60s

# Benchmarks: compare runs with benchstat (`make bench` twice, then benchstat bench-old.txt bench-new.txt).
bench: build
	HOTLINE_BIN=$(BIN) $(GO) test -run '^$$' -bench . -benchmem -count 6 -timeout 60m ./... | tee bench-new.txt
	@[ ! -f bench-old.txt ] || $(GO) run golang.org/x/perf/cmd/benchstat@$(BENCHSTAT_VERSION) bench-old.txt bench-new.txt
	HOTLINE_BIN=$(BIN) HOTLINE_LOAD=1 $(GO) test -run 'Load' -count=1 -v -timeout 30m ./sip/... ./cmd/... 2>&1 | grep -E '^(=== RUN|--- |\s+\S+_test.go|LOAD)' || true

# Evaluations print the accuracy and latency figures the README quotes. Each package keeps its own in
# files tagged `eval` with tests named TestEval*.
eval: build
	HOTLINE_BIN=$(BIN) $(GO) test -tags eval -run 'TestEval' -count=1 -v -timeout 90m ./... 2>&1 | tee eval.txt | grep -vE '^(=== (RUN|PAUSE|CONT)|PASS|ok |\?)' 

clean:
	rm -rf bin eval.txt
