# The two commands of the README's quick start. Everything else goes through CMake and ctest.
BUILD_DIR ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=
# ON turns compiler warnings into errors (CI: .ci/run).
WERROR ?= OFF
# The sanitizer suite and the fuzzers (README "Development"): clang, ASan + UBSan, CUDA off.
SAN_BUILD_DIR ?= build-asan
SAN_CXX ?= clang++-14
FUZZ_SECONDS ?= 30
SAN_ENV = ASAN_OPTIONS=detect_stack_use_after_return=1:check_initialization_order=1:strict_init_order=1 \
	UBSAN_OPTIONS=print_stacktrace=1 ASAN_SYMBOLIZER_PATH=/usr/lib/llvm-14/bin/llvm-symbolizer

.PHONY: all deps build run test sanitize format clean

all: build

deps:
	@scripts/install_deps.sh

build: deps
	@cmake -S . -B $(BUILD_DIR) -G Ninja -DMOEBENCH_WERROR=$(WERROR) $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD_DIR) -j $(JOBS)

# A default benchmark on the best device present (scripts/run_default.sh says which).
run: build
	@scripts/run_default.sh $(BUILD_DIR)

# Every test, then every CPU test again under the sanitizers, and each fuzzer for FUZZ_SECONDS.
test: build
	@ctest --test-dir $(BUILD_DIR) --output-on-failure -j $(JOBS)
	@$(MAKE) --no-print-directory sanitize

sanitize: deps
	@cmake -S . -B $(SAN_BUILD_DIR) -G Ninja -DCMAKE_CXX_COMPILER=$(SAN_CXX) -DMOEBENCH_ENABLE_CUDA=OFF \
		-DMOEBENCH_WERROR=$(WERROR) \
		-DMOEBENCH_SANITIZE=ON -DMOEBENCH_FUZZ=ON -DMOEBENCH_FUZZ_SECONDS=$(FUZZ_SECONDS) \
		-DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -gline-tables-only" >/dev/null
	@cmake --build $(SAN_BUILD_DIR) -j $(JOBS)
	@$(SAN_ENV) ctest --test-dir $(SAN_BUILD_DIR) --output-on-failure -j $(JOBS)

# Lays the C++ and CUDA sources out as .clang-format says (the clang_format test checks it).
format: deps
	@git ls-files '*.cpp' '*.hpp' '*.cu' '*.cuh' | xargs clang-format-14 -i

clean:
	@rm -rf $(BUILD_DIR) $(SAN_BUILD_DIR)
