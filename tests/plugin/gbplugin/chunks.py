"""Chunk functions of the plugin's kernels: plain functions, pickled by reference."""

#: Set by gbplugin.register when it is imported; workers that did not import it see None.
SCALE = None


def squares(ws, chunk):
    """Sum of SCALE * i**2 over the chunk's range."""
    if SCALE is None:
        raise RuntimeError("gbplugin.register was not imported in this worker")
    start, stop = chunk
    return sum(SCALE * i * i for i in range(start, stop))


def squares_lut(ws, chunk):
    """The same sum by the closed form (the plugin's own flavour)."""
    if SCALE is None:
        raise RuntimeError("gbplugin.register was not imported in this worker")
    start, stop = chunk

    def below(n):
        return (n - 1) * n * (2 * n - 1) // 6

    return SCALE * (below(stop) - below(start))


def cubes(ws, chunk):
    start, stop = chunk
    return sum(i * i * i for i in range(start, stop))
