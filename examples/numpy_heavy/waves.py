"""A numpy-heavy function: a few ufuncs and a sum over a 1 MiB float64 array per item
(about 4 ms). numpy's ufunc loops release the GIL on arrays this large, so threads share
the work without pickling the arrays; processes must pickle 1 MiB to each task."""

import numpy as np


def wave_energy(x: np.ndarray) -> float:
    """sum(sin(x) cos(x) + sqrt(x)) over the array."""
    return float(np.sum(np.sin(x) * np.cos(x) + np.sqrt(x)))


def items() -> list[np.ndarray]:
    """64 arrays of 2^17 float64 (1 MiB each), from a fixed seed."""
    rng = np.random.default_rng(0)
    return [rng.random(1 << 17) for _ in range(64)]
