"""pytest-benchmark suite for hashing and hashing-small: the stdlib flavour x strategy x workers."""

import pytest
from conftest import cases


@pytest.mark.parametrize(("flavour", "strategy", "workers"), cases("hashing"))
def test_hashing(bench_run, flavour, strategy, workers):
    bench_run("hashing", flavour, strategy, workers)


@pytest.mark.parametrize(("flavour", "strategy", "workers"), cases("hashing-small"))
def test_hashing_small(bench_run, flavour, strategy, workers):
    bench_run("hashing-small", flavour, strategy, workers)
