"""pytest-benchmark suite for reduction: every flavour x strategy x workers."""

import pytest
from conftest import cases


@pytest.mark.parametrize(("flavour", "strategy", "workers"), cases("reduction"))
def test_reduction(bench_run, flavour, strategy, workers):
    bench_run("reduction", flavour, strategy, workers)
