"""pytest-benchmark suite for nbody: every flavour x strategy x workers."""

import pytest
from conftest import cases


@pytest.mark.parametrize(("flavour", "strategy", "workers"), cases("nbody"))
def test_nbody(bench_run, flavour, strategy, workers):
    bench_run("nbody", flavour, strategy, workers)
