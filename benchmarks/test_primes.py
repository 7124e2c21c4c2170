"""pytest-benchmark suite for primes: every flavour x strategy x workers."""

import pytest
from conftest import cases


@pytest.mark.parametrize(("flavour", "strategy", "workers"), cases("primes"))
def test_primes(bench_run, flavour, strategy, workers):
    bench_run("primes", flavour, strategy, workers)
