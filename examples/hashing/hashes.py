"""hashlib on small against large buffers, over the same 1 MiB items: SHA-256 of each
1 KiB piece (hashlib keeps the GIL below 2 KiB), or of the whole 1 MiB at once (hashlib
drops the GIL during the hash). About 1 ms per item either way."""

import hashlib
import random

PIECE = 1024


def sha256_pieces(buf: bytes) -> bytes:
    """SHA-256 of each 1 KiB piece, XOR-folded into one digest (the GIL held)."""
    view = memoryview(buf)
    folded = 0
    for i in range(0, len(buf), PIECE):
        folded ^= int.from_bytes(hashlib.sha256(view[i:i + PIECE]).digest(), "big")
    return folded.to_bytes(32, "big")


def sha256_whole(buf: bytes) -> bytes:
    """SHA-256 of the whole buffer (the GIL released during the hash)."""
    return hashlib.sha256(buf).digest()


def items() -> list[bytes]:
    """64 buffers of 1 MiB, from a fixed seed."""
    rng = random.Random(0)
    return [rng.randbytes(1 << 20) for _ in range(64)]
