# The two commands a newcomer needs: `make demo` and `make test`. Both install missing
# Debian packages first (as root), then configure and build.
JOBS ?= $(shell nproc)

.PHONY: all deps test-deps build release test test-dev test-asan demo bench bench-node-red fuzz format lint clean

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

# The engine benchmark's flow run by Node-RED (bench/node-red), the budget's yardstick.
bench-node-red: release
	@scripts/bench.sh node-red

# Fuzz targets (fuzz/, libFuzzer with clang), each run for FUZZ_SECONDS on its seed corpus.
FUZZ_SECONDS ?= 60
FUZZ_TARGETS = api_request_fuzz
fuzz:
	@scripts/install-deps.sh fuzz
	@cmake --preset fuzz >/dev/null
	@cmake --build --preset fuzz -j $(JOBS) --target $(FUZZ_TARGETS)
	@for t in $(FUZZ_TARGETS); do \
	  mkdir -p build/fuzz/corpus/$$t && cp -n fuzz/corpus/$$t/* build/fuzz/corpus/$$t/ 2>/dev/null; \
	  build/fuzz/fuzz/$$t -max_total_time=$(FUZZ_SECONDS) -max_len=8192 -print_final_stats=1 build/fuzz/corpus/$$t || exit 1; \
	done

format:
	@git ls-files '*.cpp' '*.hpp' | xargs clang-format -i

lint: build
	@git ls-files 'src/*.cpp' 'app/*.cpp' | xargs clang-tidy -p build/dev --quiet

clean:
	@rm -rf build
