"""Imported with ``--import gbplugin.register``: registers a flavour, a kernel that uses
it, and a strategy (a process pool started with ``spawn``), and sets the module state
the chunk functions need (so a spawned worker that did not import this module fails)."""

from gilbench import (
    Flavour,
    Implementation,
    Kernel,
    Problem,
    register_flavour,
    register_kernel,
    register_strategy,
)
from gilbench.kernels import even_ranges
from gilbench.strategies.processes import ProcessesStrategy

from . import chunks

chunks.SCALE = 3

register_flavour(Flavour("plugin-lut", "the plugin's closed form, in pure Python", "holds",
                         interpreted=True))


class SumOfSquares(Kernel):
    name = "plugin-squares"
    summary = "a plugin's kernel, registered by --import: sum of 3 * i**2 below n"
    sizes = {"quick": 20_000, "standard": 200_000, "full": 2_000_000}
    test_size = 1000
    implementations = {"python": Implementation(chunks.squares),
                       "plugin-lut": Implementation(chunks.squares_lut)}

    def make_problem(self, size, seed=0):
        return Problem(self.name, self.check_size(size), seed)

    def split(self, problem, n):
        return even_ranges(problem.size, n)

    def merge(self, problem, workspace, partials):
        return sum(partials)

    def reference(self, problem):
        n = problem.size
        return 3 * (n - 1) * n * (2 * n - 1) // 6


class SpawnPool(ProcessesStrategy):
    name = "plugin-spawn-pool"
    description = "the warm process pool, its workers started with spawn"


register_kernel(SumOfSquares)
register_strategy(SpawnPool("spawn"))
