#!/usr/bin/env bash
# Run `gilbench advise` on each example in examples/ and write its advice beside it
# (advice.md, advice.png, advice.json, advice.html; before/ and after/ with
# before-after.md for the examples with two versions of a function). Run it on a quiet
# machine: the advice measures. Usage: tools/advise-examples.sh [EXTRA ADVISE OPTIONS]
set -euo pipefail
cd "$(dirname "$0")/.."
run() { echo "== $*" >&2; python -m gilbench advise "$@"; }
run examples/pure_python/collatz.py:collatz_steps \
    --items examples/pure_python/collatz.py:ITEMS --out examples/pure_python "$@"
run examples/native/primes.py:count_primes_gil examples/native/primes.py:count_primes_nogil \
    --items examples/native/primes.py:ITEMS --out examples/native "$@"
run examples/numpy_heavy/waves.py:wave_energy \
    --items examples/numpy_heavy/waves.py:items --out examples/numpy_heavy "$@"
run examples/hashing/hashes.py:sha256_pieces examples/hashing/hashes.py:sha256_whole \
    --items examples/hashing/hashes.py:ITEMS --out examples/hashing "$@"
run examples/tiny/tiny.py:poly --items examples/tiny/tiny.py:ITEMS --out examples/tiny "$@"
