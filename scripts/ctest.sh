#!/usr/bin/env bash
# Builds the C++ kernel tests with CMake and runs them with ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${R1_CTEST_BUILD_DIR:-build-cmake/tests}
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=Release > /dev/null
cmake --build "$build_dir" -j "${R1_BUILD_JOBS:-2}"
ctest --test-dir "$build_dir" --output-on-failure
