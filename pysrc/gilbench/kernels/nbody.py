"""N-body gravity: O(n^2) float64 compute on small data, with a barrier between time steps.

Each step needs every position of the previous step, so the kernel uses the ``phases`` hook
(one phase per step) and strategies pay one synchronisation per step: with few bodies per
chunk the barrier and dispatch cost show. Inputs (initial positions, velocities, masses) are
read-only, so the outputs are double buffers: step k reads buffer k % 2 (step 0 reads the
inputs) and writes buffer (k + 1) % 2.
"""

from __future__ import annotations

import ctypes
import functools
import math

import numpy as np

from gilbench import native
from gilbench.kernels.base import ArraySpec, Implementation, Kernel, Problem, Workspace, even_ranges
from gilbench.kernels.bindings import CFunction, ctypes_flavour, cython_flavours, numba_flavours
from gilbench.kernels.gilshare import ONE_KERNEL_SUFFICES

#: Time steps per problem: a few, so the per-step barrier is part of what is measured.
STEPS = 4
DT = 0.01
#: Plummer softening eps^2 (eps = 0.05 in a cube of side 2): no singular pairs.
EPS2 = 0.0025
#: Rows of the pair matrix the numpy flavour builds at once (bounds its temporaries).
NUMPY_ROW_BLOCK = 128

Chunk = tuple[int, int, int]  # (step, first body, one past the last body)


def _buffers(ws: Workspace, step: int) -> tuple[np.ndarray, ...]:
    """(pos, vel, mass, pos_out, vel_out) of ``step``: the double-buffering rule."""
    a = ws.arrays
    steps = ws.params["steps"]
    if not 0 <= step < steps:
        raise ValueError(f"step {step} is outside the problem's {steps} steps")
    if step == 0:
        pos, vel = a["pos0"], a["vel0"]
    else:
        pos, vel = a["pos"][step % 2], a["vel"][step % 2]
    out = (step + 1) % 2
    return pos, vel, a["mass"], a["pos"][out], a["vel"][out]


def _args(ws: Workspace) -> tuple[float, float]:
    return ws.params["dt"], ws.params["eps2"]


def python_step(ws: Workspace, chunk: Chunk) -> None:
    """Pure-Python chunk function (same operation order as the compiled ones)."""
    step, start, stop = chunk
    pos, vel, mass, pos_out, vel_out = _buffers(ws, step)
    dt, eps2 = _args(ws)
    sqrt = math.sqrt
    xs, ys, zs = (pos[:, k].tolist() for k in range(3))
    ms = mass.tolist()
    n = len(ms)
    new_pos, new_vel = [], []
    for i in range(start, stop):
        xi, yi, zi = xs[i], ys[i], zs[i]
        ax = ay = az = 0.0
        for j in range(n):
            if j == i:
                continue
            dx = xs[j] - xi
            dy = ys[j] - yi
            dz = zs[j] - zi
            r2 = dx * dx + dy * dy + dz * dz + eps2
            s = ms[j] / (r2 * sqrt(r2))
            ax += s * dx
            ay += s * dy
            az += s * dz
        vx, vy, vz = vel[i].tolist()
        vx = vx + dt * ax
        vy = vy + dt * ay
        vz = vz + dt * az
        new_vel.append((vx, vy, vz))
        new_pos.append((xi + dt * vx, yi + dt * vy, zi + dt * vz))
    if new_pos:
        pos_out[start:stop] = new_pos
        vel_out[start:stop] = new_vel


def numpy_step(ws: Workspace, chunk: Chunk) -> None:
    """numpy chunk function: pair matrices per block of rows, sums over j vectorised.

    ``sum(axis=1)`` adds pairwise, not in j order, hence the kernel's tolerance. The pair
    matrices live in one scratch buffer per call (``out=``), as numpy code written for speed
    does; fresh temporaries per operation would mostly measure the allocator (glibc trims
    and regrows the main thread's heap around every large temporary).
    """
    step, start, stop = chunk
    pos, vel, mass, pos_out, vel_out = _buffers(ws, step)
    dt, eps2 = _args(ws)
    n = mass.shape[0]
    if not 0 <= start <= stop <= n:
        raise ValueError(f"body range [{start}, {stop}) is outside {n} bodies")
    if start == stop:
        return
    x, y, z = (pos[:, k] for k in range(3))
    scratch = np.empty((5, min(NUMPY_ROW_BLOCK, stop - start), n))
    acc = np.empty((scratch.shape[1], 3))
    for lo in range(start, stop, NUMPY_ROW_BLOCK):
        hi = min(stop, lo + NUMPY_ROW_BLOCK)
        rows = hi - lo
        dx, dy, dz, r2, s = (scratch[k, :rows] for k in range(5))
        np.subtract(x[None, :], x[lo:hi, None], out=dx)
        np.subtract(y[None, :], y[lo:hi, None], out=dy)
        np.subtract(z[None, :], z[lo:hi, None], out=dz)
        np.multiply(dx, dx, out=r2)  # r2 = ((dx*dx + dy*dy) + dz*dz) + eps2
        np.add(r2, np.multiply(dy, dy, out=s), out=r2)
        np.add(r2, np.multiply(dz, dz, out=s), out=r2)
        np.add(r2, eps2, out=r2)
        np.multiply(r2, np.sqrt(r2, out=s), out=r2)  # s = m_j / (r2 * sqrt(r2))
        np.divide(mass[None, :], r2, out=s)
        s[np.arange(rows), np.arange(lo, hi)] = 0.0  # no self-force
        for k, d in enumerate((dx, dy, dz)):
            np.multiply(s, d, out=d)
            d.sum(axis=1, out=acc[:rows, k])
        v = vel[lo:hi] + dt * acc[:rows]
        vel_out[lo:hi] = v
        pos_out[lo:hi] = pos[lo:hi] + dt * v


def _native_args(ws: Workspace, chunk: Chunk) -> tuple:
    """(pos, vel, mass, pos_out, vel_out, start, stop, dt, eps2) of the chunk's step."""
    step, start, stop = chunk
    return (*_buffers(ws, step), start, stop, *_args(ws))


def c_step_args(pos: np.ndarray, vel: np.ndarray, mass: np.ndarray, pos_out: np.ndarray,
                vel_out: np.ndarray, start: int, stop: int, dt: float,
                eps2: float) -> tuple:
    """Check explicit arrays for ``gb_nbody_step`` (the C has no checks); its arguments."""
    mass = native.c_array(mass, "float64", 1, writeable=False, name="mass")
    n = mass.shape[0]
    arrays = {"pos": (pos, False), "vel": (vel, False), "pos_out": (pos_out, True),
              "vel_out": (vel_out, True)}
    for name, (arr, writeable) in arrays.items():
        native.c_array(arr, "float64", 2, writeable=writeable, name=name)
        if arr.shape != (n, 3):
            raise ValueError(f"{name} must have shape ({n}, 3) to match mass. "
                             f"Got {arr.shape} instead.")
    if np.may_share_memory(pos_out, pos) or np.may_share_memory(vel_out, vel):
        raise ValueError("pos_out/vel_out must not alias pos/vel")
    start, stop = int(start), int(stop)
    if not 0 <= start <= stop <= n:
        raise ValueError(f"body range [{start}, {stop}) is outside {n} bodies")
    if not eps2 > 0.0:
        raise ValueError(f"eps2 must be > 0 (softening avoids division by zero). "
                         f"Got {eps2} instead.")
    return (pos.ctypes.data, vel.ctypes.data, mass.ctypes.data, pos_out.ctypes.data,
            vel_out.ctypes.data, n, start, stop, dt, eps2)


def _c_args(ws: Workspace, chunk: Chunk) -> tuple:
    step, start, stop = (int(v) for v in chunk)
    return c_step_args(*_buffers(ws, step), start, stop, *_args(ws))


_ptr = ctypes.c_void_p
_C_STEP = CFunction("gb_nbody_step", ctypes.c_int,
                    (_ptr, _ptr, _ptr, _ptr, _ptr, ctypes.c_int64, ctypes.c_int64,
                     ctypes.c_int64, ctypes.c_double, ctypes.c_double))


def c_step_arrays(*args: object) -> None:
    """Checked call of ``gb_nbody_step`` on explicit arrays (see :func:`c_step_args`)."""
    _C_STEP(*c_step_args(*args))


@functools.cache
def _numba_body():
    numba = native.numba()

    @numba.njit(nogil=True, error_model="numpy")
    def body(pos, vel, mass, pos_out, vel_out, i, dt, eps2):
        xi, yi, zi = pos[i, 0], pos[i, 1], pos[i, 2]
        ax = ay = az = 0.0
        for j in range(mass.shape[0]):
            if j == i:
                continue
            dx = pos[j, 0] - xi
            dy = pos[j, 1] - yi
            dz = pos[j, 2] - zi
            r2 = dx * dx + dy * dy + dz * dz + eps2
            s = mass[j] / (r2 * math.sqrt(r2))
            ax += s * dx
            ay += s * dy
            az += s * dz
        vx = vel[i, 0] + dt * ax
        vy = vel[i, 1] + dt * ay
        vz = vel[i, 2] + dt * az
        vel_out[i, 0] = vx
        vel_out[i, 1] = vy
        vel_out[i, 2] = vz
        pos_out[i, 0] = xi + dt * vx
        pos_out[i, 1] = yi + dt * vy
        pos_out[i, 2] = zi + dt * vz

    return body


def _numba_signature():
    from numba import types

    ro2 = types.Array(types.float64, 2, "C", readonly=True)
    ro1 = types.Array(types.float64, 1, "C", readonly=True)
    rw2 = types.Array(types.float64, 2, "C")
    return types.void(ro2, ro2, ro1, rw2, rw2, types.int64, types.int64, types.float64,
                      types.float64)


@functools.cache
def _numba_step(parallel: bool):
    numba = native.numba()

    body = _numba_body()

    # numba.prange is a plain range unless parallel=True.
    @numba.njit(_numba_signature(), nogil=True, parallel=parallel, error_model="numpy")
    def step(pos, vel, mass, pos_out, vel_out, start, stop, dt, eps2):
        for i in numba.prange(start, stop):
            body(pos, vel, mass, pos_out, vel_out, i, dt, eps2)

    return step


def _readonly(arr: np.ndarray) -> np.ndarray:
    # The numba signatures take read-only inputs; step k > 0 reads a writeable buffer.
    if not arr.flags.writeable:
        return arr
    view = arr.view()
    view.flags.writeable = False
    return view


def _numba_args(ws: Workspace, chunk: Chunk) -> tuple:
    step, start, stop = chunk
    pos, vel, mass, pos_out, vel_out = _buffers(ws, step)
    n = mass.shape[0]
    if not 0 <= start <= stop <= n:
        raise ValueError(f"body range [{start}, {stop}) is outside {n} bodies")
    return (_readonly(pos), _readonly(vel), _readonly(mass), pos_out, vel_out, start, stop,
            *_args(ws))


def simulate(pos: np.ndarray, vel: np.ndarray, mass: np.ndarray, steps: int, dt: float,
             eps2: float) -> tuple[np.ndarray, np.ndarray]:
    """Reference integrator: vectorised over bodies i, j in order 0..n-1 (self skipped).

    Independent of the flavours' code, and in their summation order, so the compiled and
    Python flavours match it bit for bit (a skipped self term here adds +0.0, which changes
    nothing).
    """
    pos = np.array(pos, dtype=np.float64)
    vel = np.array(vel, dtype=np.float64)
    n = mass.shape[0]
    for _ in range(steps):
        x, y, z = pos[:, 0].copy(), pos[:, 1].copy(), pos[:, 2].copy()
        ax, ay, az = np.zeros(n), np.zeros(n), np.zeros(n)
        for j in range(n):
            dx = x[j] - x
            dy = y[j] - y
            dz = z[j] - z
            r2 = dx * dx + dy * dy + dz * dz + eps2
            s = mass[j] / (r2 * np.sqrt(r2))
            s[j] = 0.0
            ax += s * dx
            ay += s * dy
            az += s * dz
        vel = vel + dt * np.stack([ax, ay, az], axis=1)
        pos = np.stack([x, y, z], axis=1) + dt * vel
    return pos, vel


class NBody(Kernel):
    """Softened gravity, semi-implicit Euler, ``STEPS`` steps of ``size`` bodies.

    Tolerance 1e-9 relative: the compiled and Python flavours sum forces in j order and
    match the reference bit for bit (the tests check that exactly); the numpy flavour sums
    over j pairwise, which moves the last bits of each acceleration. The largest relative
    difference measured on any position or velocity component was 2e-14 up to 896 bodies
    and 1.3e-13 at 1792 (seeds 0-19 at small sizes, chunk counts 1, 3, 7); 1e-9 leaves
    room for components that happen to sit near zero, where relative error grows.
    """

    name = "nbody"
    summary = ("O(n^2) float64 compute on tiny data with a barrier per time step: shows "
               "what per-phase dispatch and synchronisation cost each strategy")
    size_unit = "bodies"
    sizes = {"quick": 768, "standard": 896, "full": 1792}
    # Interpreted Python is ~60x slower a pair: a smaller quick problem (work_units
    # compares them per pair of bodies).
    flavour_sizes = {"python": {"quick": 256, "standard": 896, "full": 1792}}
    test_size = 37  # not a multiple of the chunk counts the tests use
    tolerance = 1e-9
    # 2**17 bodies: O(n**2) pairs x STEPS, about 10 minutes per repeat for the compiled
    # flavours on one core (~8 ns a pair and step).
    max_size = 2**17

    def work_units(self, size: int) -> float:
        # Pairs of bodies a step (the step count is fixed).
        return float(size * size)

    def memory_bytes(self, size: int) -> int:
        # The numpy flavour's scratch: 5 KiB a body for each chunk in flight (four here).
        return 24 * 1024 * size
    implementations = {
        "python": Implementation(python_step),
        **cython_flavours("nbody", "step", _native_args),
        **ctypes_flavour(_C_STEP, _c_args),
        "numpy": Implementation(numpy_step),
        **numba_flavours(_numba_step, _numba_args),
    }
    not_applicable = {"cython-mixed": ONE_KERNEL_SUFFICES,
                      "stdlib": "no standard-library routine computes pairwise forces"}

    def make_problem(self, size: int, seed: int = 0) -> Problem:
        n = self.check_size(size)
        rng = np.random.default_rng(seed)
        pos0 = rng.uniform(-1.0, 1.0, (n, 3))
        vel0 = rng.uniform(-0.5, 0.5, (n, 3))
        mass = rng.uniform(0.5, 1.5, n) / n  # total mass about 1
        params = {"n": n, "steps": STEPS, "dt": DT, "eps2": EPS2}
        return Problem(self.name, n, seed, params,
                       inputs={"pos0": pos0, "vel0": vel0, "mass": mass},
                       outputs={"pos": ArraySpec((2, n, 3), "float64"),
                                "vel": ArraySpec((2, n, 3), "float64")})

    def split(self, problem: Problem, chunks: int) -> list[Chunk]:
        """The first step's chunks: body ranges (later steps repeat them, see phases)."""
        return [(0, start, stop) for start, stop in even_ranges(problem.size, chunks)]

    def phases(self, problem: Problem, chunks: int) -> list[list[Chunk]]:
        """One phase per time step: every step reads all positions of the previous one."""
        first = self.split(problem, chunks)
        return [[(step, start, stop) for _, start, stop in first]
                for step in range(problem.params["steps"])]

    def merge(self, problem: Problem, workspace: Workspace,
              partials: list) -> tuple[np.ndarray, np.ndarray]:
        """Final (positions, velocities): the buffer the last step wrote, copied."""
        last = problem.params["steps"] % 2
        return (workspace.arrays["pos"][last].copy(), workspace.arrays["vel"][last].copy())

    def reference(self, problem: Problem) -> tuple[np.ndarray, np.ndarray]:
        p, inputs = problem.params, problem.inputs
        return simulate(inputs["pos0"], inputs["vel0"], inputs["mass"], p["steps"], p["dt"],
                        p["eps2"])
