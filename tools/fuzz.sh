#!/usr/bin/env bash
# Builds the libFuzzer target with clang (address and undefined-behaviour
# sanitizers) in build-fuzz/ and runs it for SECONDS (default 60) on a
# corpus in build-fuzz/corpus. Needs clang (tools/setup.sh installs it).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
command -v clang++ >/dev/null || { echo "fuzz: clang++ not found" >&2; exit 1; }
flags="-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer"
CC=clang CXX=clang++ cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DTREECAST_LIBFUZZER=ON -DCMAKE_CXX_FLAGS="$flags" >/dev/null
cmake --build build-fuzz --target treecast_frame_fuzzer -j"$(nproc)"
mkdir -p build-fuzz/corpus
exec build-fuzz/tests/fuzz/treecast_frame_fuzzer -max_total_time="$seconds" -max_len=65536 \
  -print_final_stats=1 build-fuzz/corpus
