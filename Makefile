# derivcache: the commands a user needs. `make demo` and `make test` set everything up first.
BUILD_DIR ?= build
BUILD_TYPE ?= RelWithDebInfo
PREFIX ?= /usr/local
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=
FUZZ_SECONDS ?= 60
FUZZ_CXX ?= clang++-14
SOAK_MINUTES ?= 10
BENCH_RSS_MINUTES ?= 10

DERIVCACHE := $(BUILD_DIR)/apps/derivcache

.PHONY: all help setup configure build test test-sanitize test-asan test-tsan fuzz soak bench demo-build demo analyze-demo install clean

all: build

help:
	@echo "make build          configure and build in BUILD_DIR ($(BUILD_DIR))"
	@echo "make test           build and run the test suite"
	@echo "make test-sanitize  the suite under ASan+UBSan (build-asan); net, actor and e2e tests under TSan (build-tsan)"
	@echo "make fuzz           each libFuzzer target for FUZZ_SECONDS ($(FUZZ_SECONDS)) on its seeds (build-fuzz, clang)"
	@echo "make soak           engine + simulators with random faults for SOAK_MINUTES ($(SOAK_MINUTES)), then a report"
	@echo "make bench          benchmarks, ccxt side by side, RSS after BENCH_RSS_MINUTES ($(BENCH_RSS_MINUTES)); writes docs/performance.md"
	@echo "make demo           the whole engine against loopback simulators for a minute (DEMO_FOREVER=1: until Ctrl-C)"
	@echo "make analyze-demo   derivcache analyze on the bundled real BTC chain"
	@echo "make install        install into PREFIX ($(PREFIX))"
	@echo "make clean          remove BUILD_DIR"

setup:
	@bash scripts/install-deps.sh

configure: setup
	@cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) -DCMAKE_INSTALL_PREFIX=$(PREFIX) $(CMAKE_FLAGS) >/dev/null

build: configure
	@cmake --build $(BUILD_DIR) -j $(JOBS)

test: build
	@cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS)

# Sanitizer runtime options; the suppression files say why each entry is there (sanitizers/).
SUPP := $(CURDIR)/sanitizers
ASAN_ENV := ASAN_OPTIONS=halt_on_error=1:detect_leaks=1:strict_init_order=1 \
  LSAN_OPTIONS=suppressions=$(SUPP)/lsan.supp:print_suppressions=0 \
  UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:suppressions=$(SUPP)/ubsan.supp
TSAN_ENV := TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1:suppressions=$(SUPP)/tsan.supp

# ASan+UBSan: the whole suite. TSan: tests/net (Beast I/O threads, servers, simulators), tests/actors and
# tests/e2e (the engine on CAF's threaded scheduler, the apps as child processes), against CAF 0.17.6 built
# with TSan from Debian's source (scripts/caf-tsan.sh, once, into build-caf-tsan/): Debian's libcaf_core is
# not instrumented, so TSan could not see CAF's hand-offs. TSAN_SKIP: see sanitizers/tsan.supp.
CAF_TSAN := $(CURDIR)/build-caf-tsan/install
TSAN_SKIP := Introspection.PeersThatDoNotSpeakCafDoNotHarmTheEngine|Introspection.ElevenHundredIdle|FaultMatrix
# Run alone under TSan: their timing windows (a ping flood, reconnect delays) do not hold beside another suite.
TSAN_ALONE := BinanceE2E
# Sanitizer builds compile at -O1 with line tables only (-g1): reports keep file:line, and the two builds
# take about 40% less compile time than -O2 -g. The benchmarks are not built there.
SAN_CMAKE := -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" \
  -DDERIVCACHE_BUILD_BENCH=OFF
test-sanitize: test-asan test-tsan

test-asan: setup
	@cmake -S . -B build-asan $(SAN_CMAKE) -DDERIVCACHE_SANITIZE=address,undefined $(CMAKE_FLAGS) >/dev/null
	@cmake --build build-asan -j $(JOBS)
	@cd build-asan && $(ASAN_ENV) ctest --output-on-failure -j $(JOBS) -E FaultMatrix
	@# The fault matrix times real cycles and backoffs: under ASan it runs alone, not beside another e2e suite.
	@cd build-asan && $(ASAN_ENV) ctest --output-on-failure -R FaultMatrix

test-tsan: setup
	@JOBS=$(JOBS) bash scripts/caf-tsan.sh $(CURDIR)/build-caf-tsan
	@cmake -S . -B build-tsan $(SAN_CMAKE) -DDERIVCACHE_SANITIZE=thread \
	  -DCAF_INCLUDE_DIR=$(CAF_TSAN)/include $(foreach c,core io openssl,-DCAF_$(c)_LIBRARY=$(CAF_TSAN)/lib/libcaf_$(c).so) \
	  $(CMAKE_FLAGS) >/dev/null
	@cmake --build build-tsan -j $(JOBS) --target test_net test_actors test_e2e
	@for d in net actors e2e; do \
	  (cd build-tsan/tests/$$d && $(TSAN_ENV) ctest --output-on-failure -j $(JOBS) -E '$(TSAN_SKIP)|$(TSAN_ALONE)') || exit 1; \
	done
	@cd build-tsan/tests/e2e && $(TSAN_ENV) ctest --output-on-failure -R '$(TSAN_ALONE)'

# libFuzzer targets (clang), as <target>:<max_len>; each runs FUZZ_SECONDS on a scratch corpus under
# build-fuzz/ seeded from fuzz/corpus/<target>/ (never written to). A crash input lands in build-fuzz/artifacts/.
FUZZ_TARGETS := deribit_codec_fuzz:65536 binance_codec_fuzz:4096 config_fuzz:8192
fuzz: setup
	@cmake -S . -B build-fuzz -DCMAKE_CXX_COMPILER=$(FUZZ_CXX) -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DDERIVCACHE_FUZZ=ON -DDERIVCACHE_BUILD_TESTS=OFF >/dev/null
	@cmake --build build-fuzz -j $(JOBS) --target $(foreach t,$(FUZZ_TARGETS),$(firstword $(subst :, ,$(t))))
	@for tl in $(FUZZ_TARGETS); do t=$${tl%%:*}; len=$${tl##*:}; \
	  rm -rf build-fuzz/corpus/$$t && mkdir -p build-fuzz/corpus/$$t build-fuzz/artifacts/$$t && \
	  echo "== fuzz $$t for $(FUZZ_SECONDS)s (max_len $$len)" && \
	  $(ASAN_ENV) build-fuzz/fuzz/$$t -max_total_time=$(FUZZ_SECONDS) -max_len=$$len -print_final_stats=1 \
	    -dict=fuzz/$$t.dict -artifact_prefix=build-fuzz/artifacts/$$t/ build-fuzz/corpus/$$t fuzz/corpus/$$t \
	    2>build-fuzz/fuzz-$$t.log || { tail -60 build-fuzz/fuzz-$$t.log; exit 1; }; \
	  grep -E '^#[0-9]+[[:space:]]+DONE|^stat::(number_of_executed_units|average_exec_per_sec)' build-fuzz/fuzz-$$t.log; \
	done

# The engine against the loopback simulators with a fault every 5 s and snapshots every 250 ms; the report's
# rules are in docs/reliability.md (exit 1 when one fails).
soak: build
	@$(BUILD_DIR)/tests/soak/derivcache-soak --minutes $(SOAK_MINUTES)

# Benchmarks are built by `make build`/`make test` but run only here (about 20 minutes; ccxt is installed on first use).
bench: build
	@BUILD_DIR=$(BUILD_DIR) BENCH_RSS_MINUTES=$(BENCH_RSS_MINUTES) bash scripts/bench.sh

# `make demo` builds only what it runs: the engine, the inspector and the simulator (with the test certificates).
DEMO_TARGETS := derivcache derivcache-inspect derivcache-sim

demo-build: configure
	@cmake --build $(BUILD_DIR) -j $(JOBS) --target $(DEMO_TARGETS)

demo: demo-build
	@BUILD_DIR=$(BUILD_DIR) bash scripts/demo.sh

analyze-demo: demo-build
	@echo "== derivcache analyze on the bundled real BTC option chain (2026-03-13), futures curve (2025-01-06) and DVOL (2026-09)"
	$(DERIVCACHE) analyze --currency BTC \
	  --options tests/data/deribit_book_summary_option_btc_full_2026-03-13.json \
	  --futures tests/data/derived/deribit_book_summary_future_btc_2025-01-06.json \
	  --dvol tests/data/deribit_get_volatility_index_data_result_btc_12h_2026-09.json

install: build
	@cmake --install $(BUILD_DIR) --prefix $(PREFIX)

clean:
	@rm -rf $(BUILD_DIR)
