# Sanitizer and fuzzing builds (README "Development"): MOEBENCH_SANITIZE compiles everything with
# AddressSanitizer + UndefinedBehaviorSanitizer, MOEBENCH_FUZZ adds the libFuzzer targets of
# tests/fuzz (clang only). `make sanitize` configures both in build-asan/ with CUDA off.
option(MOEBENCH_SANITIZE "Build with -fsanitize=address,undefined" OFF)
option(MOEBENCH_FUZZ "Build the libFuzzer targets (tests/fuzz; needs clang and MOEBENCH_SANITIZE)" OFF)

if(MOEBENCH_SANITIZE)
  # Every finding stops the process: a UB report must fail the test that caused it, not scroll by.
  set(MOEBENCH_SANITIZER_FLAGS -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
  add_compile_options(${MOEBENCH_SANITIZER_FLAGS})
  add_link_options(${MOEBENCH_SANITIZER_FLAGS})
  message(STATUS "moebench: AddressSanitizer + UndefinedBehaviorSanitizer build")
endif()

if(MOEBENCH_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "MOEBENCH_FUZZ needs clang (libFuzzer): configure with -DCMAKE_CXX_COMPILER=clang++-14")
  endif()
  if(NOT MOEBENCH_SANITIZE)
    message(FATAL_ERROR "MOEBENCH_FUZZ needs MOEBENCH_SANITIZE: a fuzzer without sanitizers misses most bugs")
  endif()
endif()

# Gives libFuzzer's coverage instrumentation to the libraries the fuzzers drive (the parsers of
# flags, configs, results files and wire messages). The rest (the CPU paths' inner loops) stays
# without it, so the sanitizer test suite does not pay for it.
function(moebench_fuzz_coverage)
  if(NOT MOEBENCH_FUZZ)
    return()
  endif()
  foreach(target IN LISTS ARGN)
    target_compile_options(${target} PRIVATE -fsanitize=fuzzer-no-link)
  endforeach()
endfunction()
