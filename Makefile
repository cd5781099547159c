# The two commands a newcomer needs: `make demo` and `make test`. Both install missing
# Debian packages first (as root), then configure and build.
JOBS ?= $(shell nproc)

.PHONY: all deps test-deps build release test test-dev test-asan demo bench fuzz format lint clean

all: build

deps:
	@scripts/install-deps.sh build

test-deps:
	@scripts/install-deps.sh test

build: deps
	@cmake --preset dev >/dev/null
	@cmake --build --preset dev -j $(JOBS)

release: deps
	@cmake --preset release >/dev/null
	@cmake --build --preset release -j $(JOBS)

test: test-deps test-dev test-asan

test-dev: build
	@ctest --preset dev -j $(JOBS)

test-asan: test-deps
	@cmake --preset asan >/dev/null
	@cmake --build --preset asan -j $(JOBS)
	@ctest --preset asan -j $(JOBS)

# `weft demo` (docs/scenario.md): sandbox + hub + the seeded scenario + the summary per
# workflow and the consistency check, then both keep serving until Ctrl-C.
DEMO_CUSTOMERS ?= 200
DEMO_SEED ?= 1
DEMO_FLAGS ?=
demo: build
	@build/dev/weft demo -c examples/demo.yaml --customers $(DEMO_CUSTOMERS) --seed $(DEMO_SEED) $(DEMO_FLAGS)

bench: release
	@scripts/bench.sh

format:
	@git ls-files '*.cpp' '*.hpp' | xargs clang-format -i

lint: build
	@git ls-files 'src/*.cpp' 'app/*.cpp' | xargs clang-tidy -p build/dev --quiet

clean:
	@rm -rf build
