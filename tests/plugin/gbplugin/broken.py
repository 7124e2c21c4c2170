"""Imported with ``--import gbplugin.broken``: kernels that break the contract."""

from gilbench import Implementation, register_kernel

from . import chunks
from .kernels import SumOfCubes


class SplitsNothing(SumOfCubes):
    name = "plugin-split-nothing"
    summary = "split returns None"

    def split(self, problem, n):
        return None


class MergeRaises(SumOfCubes):
    name = "plugin-merge-raises"
    summary = "merge raises"
    implementations = {"python": Implementation(chunks.cubes)}

    def merge(self, problem, workspace, partials):
        return sum(partials) / 0


register_kernel(SplitsNothing)
register_kernel(MergeRaises)
