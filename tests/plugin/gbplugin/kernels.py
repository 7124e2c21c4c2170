"""Kernels the plugin declares as entry points (gilbench registers them: this module
does not register anything itself)."""

from gilbench import Implementation, Kernel, Problem
from gilbench.kernels import even_ranges

from . import chunks


class SumOfCubes(Kernel):
    name = "plugin-cubes"
    summary = "a plugin's kernel, declared as an entry point: sum of i**3 below n"
    sizes = {"quick": 20_000, "standard": 200_000, "full": 2_000_000}
    test_size = 1000
    implementations = {"python": Implementation(chunks.cubes)}

    def make_problem(self, size, seed=0):
        return Problem(self.name, self.check_size(size), seed)

    def split(self, problem, n):
        return even_ranges(problem.size, n)

    def merge(self, problem, workspace, partials):
        return sum(partials)

    def reference(self, problem):
        n = problem.size
        return (n * (n - 1) // 2) ** 2
