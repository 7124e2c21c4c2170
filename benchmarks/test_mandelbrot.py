"""pytest-benchmark suite for mandelbrot: every flavour x strategy x workers."""

import pytest
from conftest import cases


@pytest.mark.parametrize(("flavour", "strategy", "workers"), cases("mandelbrot"))
def test_mandelbrot(bench_run, flavour, strategy, workers):
    bench_run("mandelbrot", flavour, strategy, workers)
