# derivcache: the commands a user needs. `make demo` and `make test` set everything up first.
BUILD_DIR ?= build
BUILD_TYPE ?= RelWithDebInfo
PREFIX ?= /usr/local
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=

DERIVCACHE := $(BUILD_DIR)/apps/derivcache

.PHONY: all setup configure build test demo install clean

all: build

setup:
	@bash scripts/install-deps.sh

configure: setup
	@cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) -DCMAKE_INSTALL_PREFIX=$(PREFIX) $(CMAKE_FLAGS) >/dev/null

build: configure
	@cmake --build $(BUILD_DIR) -j $(JOBS)

test: build
	@cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS)

demo: build
	@echo "== derivcache analyze on the bundled real BTC option chain (2026-03-13) and futures curve (2025-01-06)"
	$(DERIVCACHE) analyze --currency BTC \
	  --options tests/data/deribit_book_summary_option_btc_full_2026-03-13.json \
	  --futures tests/data/derived/deribit_book_summary_future_btc_2025-01-06.json

install: build
	@cmake --install $(BUILD_DIR) --prefix $(PREFIX)

clean:
	@rm -rf $(BUILD_DIR)
