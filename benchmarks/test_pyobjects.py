"""pytest-benchmark suite for python-objects: every flavour x strategy x workers."""

import pytest
from conftest import cases


@pytest.mark.parametrize(("flavour", "strategy", "workers"), cases("python-objects"))
def test_python_objects(bench_run, flavour, strategy, workers):
    bench_run("python-objects", flavour, strategy, workers)
