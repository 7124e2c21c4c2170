"""A pure-Python CPU loop: Collatz sequence lengths of 300 consecutive numbers per item
(about 2-3 ms). It holds the GIL all the time: only processes run it in parallel."""


def collatz_steps(start: int) -> int:
    """Total Collatz steps of ``start .. start + 299``."""
    steps = 0
    for k in range(start, start + 300):
        while k != 1:
            k = k // 2 if k % 2 == 0 else 3 * k + 1
            steps += 1
    return steps


#: 200 tasks.
ITEMS = list(range(1_000_000, 1_000_000 + 200 * 300, 300))
