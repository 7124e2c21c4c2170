"""A user-defined kernel, written only against the public API (as a user would)."""

from __future__ import annotations

from gilbench import Implementation, Kernel, Problem
from gilbench.kernels import even_ranges


def cubes_python(ws, chunk):
    start, stop = chunk
    return sum(i * i * i for i in range(start, stop))


def cubes_explode(ws, chunk):
    raise RuntimeError("boom in a chunk")


class SumOfCubes(Kernel):
    name = "sum-of-cubes"
    summary = "a user's own kernel: sum of i**3 below n"
    sizes = {"quick": 10_000, "standard": 100_000, "full": 1_000_000}
    test_size = 1000
    implementations = {"python": Implementation(cubes_python)}
    not_applicable = {"cython-nogil": "the user wrote no compiled version"}
    # Params alone define the problem and chunks return their sums: clusters whose workers
    # share no memory with the parent (dask, loky) can run it as it is.
    has_inputs = False
    supports_outputs = True

    def make_problem(self, size: int, seed: int = 0) -> Problem:
        return Problem(self.name, self.check_size(size), seed)

    def split(self, problem, chunks):
        return even_ranges(problem.size, chunks)

    def merge(self, problem, workspace, partials):
        return sum(partials)

    def reference(self, problem):
        n = problem.size
        return (n * (n - 1) // 2) ** 2


class Exploding(SumOfCubes):
    """A kernel whose 'numpy' flavour raises inside every chunk (to test failures)."""

    name = "exploding"
    implementations = {"python": Implementation(cubes_python),
                       "numpy": Implementation(cubes_explode)}


def crash_worker(ws, chunk):
    import os

    os._exit(3)  # simulates a segfaulting extension: the process vanishes


def sleep_forever(ws, chunk):
    import time

    time.sleep(60)


class Crashing(SumOfCubes):
    """Kills the worker process that runs it (only ever run with process strategies)."""

    name = "crashing"
    implementations = {"python": Implementation(crash_worker)}


class Sleeping(SumOfCubes):
    """Never finishes in time (to test timeouts)."""

    name = "sleeping"
    implementations = {"python": Implementation(sleep_forever)}



class WithInput(SumOfCubes):
    """SumOfCubes with an input array (unread) that ships with each chunk: every process
    strategy, whether it shares or ships inputs, can run a kernel built on it."""

    has_inputs = True
    supports_payload = True
    supports_outputs = True

    def make_problem(self, size: int, seed: int = 0) -> Problem:
        import numpy as np

        return Problem(self.name, self.check_size(size), seed,
                       inputs={"i": np.arange(size, dtype=np.int64)})

    def payload(self, problem, chunk):
        start, stop = chunk[0], chunk[1]
        return chunk, {"i": problem.inputs["i"][start:stop]}

    def outputs_of(self, problem, chunk):
        return {}

def kill_own_worker(ws, chunk):
    import os
    import signal

    os.kill(os.getpid(), signal.SIGKILL)  # what the OOM killer or `kill -9` does


class Killed(WithInput):
    """SIGKILLs the worker process that runs it, mid-run (only run with process strategies)."""

    name = "killed"
    implementations = {"python": Implementation(kill_own_worker)}


class Raising(WithInput):
    """Raises inside every chunk, in whatever process runs it."""

    name = "raising"
    implementations = {"python": Implementation(cubes_explode)}


class Unpicklable(WithInput):
    """Its chunk descriptors hold a lock, which no process strategy can send (not even
    with cloudpickle, which pickles lambdas)."""

    name = "unpicklable"

    def split(self, problem, chunks):
        import threading

        return [(start, stop, threading.Lock())
                for start, stop in even_ranges(problem.size, chunks)]


def cubes_of_triples(ws, chunk):
    return cubes_python(ws, chunk[:2])


Unpicklable.implementations = {"python": Implementation(cubes_of_triples)}


class Stuck(WithInput):
    """Never finishes in time, in any process strategy (inputs shipped or shared)."""

    name = "stuck"
    implementations = {"python": Implementation(sleep_forever)}
