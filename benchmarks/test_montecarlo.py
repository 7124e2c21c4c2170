"""pytest-benchmark suite for montecarlo-pi: every flavour x strategy x workers."""

import pytest
from conftest import cases


@pytest.mark.parametrize(("flavour", "strategy", "workers"), cases("montecarlo-pi"))
def test_montecarlo(bench_run, flavour, strategy, workers):
    bench_run("montecarlo-pi", flavour, strategy, workers)
