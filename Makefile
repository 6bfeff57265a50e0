# A thin layer over CMake presets and scripts/; every target is phony.
.PHONY: all deps build run test bench fuzz format check-format install clean

JOBS ?= 2
DATA_DIR ?= var
LISTEN ?= 127.0.0.1:8080
PUBLIC_URL ?= http://$(LISTEN)

all: build

deps:
	@scripts/deps

build: deps
	@cmake --preset release >/dev/null
	@cmake --build build/release -j$(JOBS)
	@echo "built build/gatehouse"

run: build
	@scripts/run "$(DATA_DIR)" "$(LISTEN)" "$(PUBLIC_URL)"

test: deps
	@scripts/test

bench: deps
	@scripts/bench

fuzz: deps
	@cmake --preset fuzz >/dev/null
	@cmake --build build/fuzz -j$(JOBS)

format:
	@git ls-files '*.cpp' '*.h' | xargs clang-format -i

check-format:
	@scripts/check-format

install: build
	@cmake --install build/release

clean:
	@rm -rf build
