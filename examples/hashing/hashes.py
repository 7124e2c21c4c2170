"""hashlib on small against large buffers, over the same 512 KiB slices of a buffer every
process builds alike: SHA-256 of each 1 KiB piece (hashlib keeps the GIL below 2 KiB), or
of the whole 512 KiB at once (hashlib drops the GIL during the hash). About 0.5 ms per
item either way; an item is the slice's index, so nothing large is pickled to a worker."""

import hashlib
import random

PIECE = 1024
SLICE = 512 * 1024
#: 100 MiB from a fixed seed: the same bytes in every process that imports this module.
DATA = random.Random(0).randbytes(200 * SLICE)


def sha256_pieces(index: int) -> bytes:
    """SHA-256 of each 1 KiB piece of slice ``index``, XOR-folded (the GIL held)."""
    view = memoryview(DATA)[index * SLICE:(index + 1) * SLICE]
    folded = 0
    for i in range(0, SLICE, PIECE):
        folded ^= int.from_bytes(hashlib.sha256(view[i:i + PIECE]).digest(), "big")
    return folded.to_bytes(32, "big")


def sha256_whole(index: int) -> bytes:
    """SHA-256 of the whole slice ``index`` (the GIL released during the hash)."""
    return hashlib.sha256(memoryview(DATA)[index * SLICE:(index + 1) * SLICE]).digest()


#: 200 tasks: the slices' indices.
ITEMS = list(range(200))
