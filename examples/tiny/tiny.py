"""A function of about 5 µs: far shorter than what handing a task to a pool costs (tens
of µs to a thread, hundreds to a process), so the answer is to leave it serial, or to
hand the pool batches of many items (a chunksize) instead."""


def poly(x: float) -> float:
    """A degree-100 polynomial at ``x`` by Horner's rule (about 5 µs in CPython)."""
    acc = 0.0
    for k in range(100):
        acc = acc * x + 1.0 / (k + 1)
    return acc


#: 200 tasks.
ITEMS = [i / 200 for i in range(200)]
