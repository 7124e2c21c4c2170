"""Counting words into a dict: work made of Python objects, where releasing the GIL cannot help.

The text is ASCII words separated by single spaces, drawn from a fixed vocabulary with a
Zipf-like distribution and stored as a uint8 array (so processes share it). Each chunk
counts its words into a dict of ``str`` keys and returns it; merging adds the dicts, so
pickling the partial dicts back from worker processes is part of the cost. A compiled
loop that builds these objects (``cython-gil``) is faster but must hold the GIL, and no
nogil flavour exists: this kernel marks the limit of the nogil technique, where only
processes (or a free-threaded CPython) run in parallel.
"""

from __future__ import annotations

import functools
import itertools
from collections import Counter
from collections.abc import Mapping
from typing import Any

import numpy as np

from gilbench import native
from gilbench.kernels.base import Implementation, Kernel, Problem, Workspace, even_ranges
from gilbench.kernels.bindings import cython_implementation
from gilbench.kernels.gilshare import ONE_KERNEL_SUFFICES

SPACE = ord(" ")
#: Vocabulary: how many distinct words, their longest length, the Zipf exponent, and the
#: seed that fixes them (the same vocabulary for every problem; the problem seed only
#: decides which words follow which).
VOCABULARY_SIZE = 5000
MAX_WORD = 12
ZIPF_EXPONENT = 1.1
VOCABULARY_SEED = 0x9E3779B9
_TEXT_BLOCK = 1 << 20

_NO_GIL_FREE = ("needs Python objects (str keys in a dict): {what} cannot run without the "
                "GIL; only processes (or a free-threaded CPython) run it in parallel")


@functools.cache
def vocabulary() -> tuple[str, ...]:
    """The fixed vocabulary, most frequent word first; frequent words tend to be short."""
    rng = np.random.default_rng(VOCABULARY_SEED)
    words: dict[str, None] = {}
    while len(words) < VOCABULARY_SIZE:
        rank = len(words)
        length = min(MAX_WORD, 2 + int(0.6 * np.log2(rank + 2)) + int(rng.integers(0, 3)))
        word = bytes(rng.integers(ord("a"), ord("z") + 1, size=length, dtype=np.uint8))
        words.setdefault(word.decode("ascii"))
    return tuple(words)


@functools.cache
def _word_table() -> np.ndarray:
    """Each word followed by one space, NUL-padded: row i is the bytes of word i."""
    table = np.zeros((VOCABULARY_SIZE, MAX_WORD + 1), dtype=np.uint8)
    for i, word in enumerate(vocabulary()):
        raw = word.encode("ascii") + b" "
        table[i, :len(raw)] = np.frombuffer(raw, dtype=np.uint8)
    table.flags.writeable = False
    return table


def make_text(n_words: int, seed: int) -> np.ndarray:
    """``n_words`` Zipf-distributed words joined by single spaces, as ASCII bytes."""
    rng = np.random.default_rng(seed)
    weights = 1.0 / np.arange(1, VOCABULARY_SIZE + 1) ** ZIPF_EXPONENT
    ids = rng.choice(VOCABULARY_SIZE, size=n_words, p=weights / weights.sum())
    table = _word_table()
    # In blocks, so the padded temporary stays small at the largest sizes.
    parts = []
    for first in range(0, n_words, _TEXT_BLOCK):
        padded = table[ids[first:first + _TEXT_BLOCK]].ravel()
        parts.append(padded[padded != 0])
    return np.concatenate(parts)[:-1]  # no space after the last word


def _slice(ws: Workspace, chunk: tuple[int, int]) -> np.ndarray:
    text = native.c_array(ws.arrays["text"], "uint8", 1, writeable=False, name="text")
    start, stop = (int(v) for v in chunk)
    if not 0 <= start <= stop <= text.size:
        raise ValueError(f"byte range [{start}, {stop}) is outside a text of "
                         f"{text.size} bytes")
    return text[start:stop]


def python_count(ws: Workspace, chunk: tuple[int, int]) -> dict[str, int]:
    """Pure-Python chunk function: decode, split, count with dict.get (bytecode throughout)."""
    counts: dict[str, int] = {}
    get = counts.get
    for word in _slice(ws, chunk).tobytes().decode("ascii").split():
        counts[word] = get(word, 0) + 1
    return counts


def _text_args(ws: Workspace, chunk: tuple[int, int]) -> tuple:
    """(text, start, stop) for the Cython scan, which checks the range itself."""
    return (ws.arrays["text"], *chunk)


def _next_space(text: np.ndarray, pos: int) -> int:
    """The offset of the first space at or after ``pos`` (``len(text)`` if none)."""
    window = 4 * MAX_WORD
    while pos < text.size:
        hits = np.flatnonzero(text[pos:pos + window] == SPACE)
        if hits.size:
            return pos + int(hits[0])
        pos += window
        window *= 2
    return int(text.size)


class PythonObjects(Kernel):
    name = "python-objects"
    summary = ("counting words into a dict of str: work made of Python objects, so no "
               "flavour can drop the GIL and only processes scale (pickled dicts included)")
    size_unit = "words"
    sizes = {"quick": 400_000, "standard": 2_400_000, "full": 19_200_000}
    test_size = 5_000
    # 2**31 words: about 4 minutes for cython-gil, 8 for python, on one core.
    max_size = 2**31

    def memory_bytes(self, size: int) -> int:
        # The text (~6 B a word), and the str objects and list that split() builds from it.
        return 128 * size
    implementations = {
        "python": Implementation(python_count),
        # A C scan over the bytes that still builds str and dict: it holds the GIL.
        "cython-gil": cython_implementation("pyobjects", "count_words", _text_args),
    }
    not_applicable = {
        "cython-mixed": ONE_KERNEL_SUFFICES,
        "cython-nogil": _NO_GIL_FREE.format(what="a `with nogil:` block"),
        "cython-prange": _NO_GIL_FREE.format(what="a prange body"),
        "c-ctypes": _NO_GIL_FREE.format(what="plain C without Python.h, called with the "
                                             "GIL dropped,"),
        "numba": _NO_GIL_FREE.format(what="numba nopython code"),
        "numba-parallel": _NO_GIL_FREE.format(what="numba nopython code"),
        "numpy": "numpy has no dict of str: counting words needs them tokenised into "
                 "fixed-width byte strings for np.unique, which measured 1.5x slower than "
                 "the dict loop and no faster on 2 threads, so it shows nothing the python "
                 "flavour does not",
        "stdlib": "collections.Counter counts in C but holds the GIL throughout (it updates "
                  "a dict per word); it is this kernel's reference, not a GIL-dropping "
                  "stdlib routine",
    }
    supports_payload = True
    supports_outputs = True  # it writes none: a chunk returns its word counts

    def make_problem(self, size: int, seed: int = 0) -> Problem:
        size = self.check_size(size)
        return Problem(self.name, size, seed, {"words": size},
                       inputs={"text": make_text(size, seed)})

    def split(self, problem: Problem, chunks: int) -> list[tuple[int, int]]:
        """Even byte ranges whose inner boundaries move forward to the next space."""
        text = problem.inputs["text"]
        inner = [_next_space(text, stop) for _, stop in even_ranges(text.size, chunks)[:-1]]
        bounds = [0, *inner, int(text.size)]
        return [(a, b) for a, b in itertools.pairwise(bounds) if b > a]

    def merge(self, problem: Problem, workspace: Workspace,
              partials: list[dict[str, int]]) -> dict[str, int]:
        total: dict[str, int] = {}
        get = total.get
        for partial in partials:
            for word, count in partial.items():
                total[word] = get(word, 0) + count
        return total

    def reference(self, problem: Problem) -> dict[str, int]:
        return dict(Counter(problem.inputs["text"].tobytes().decode("ascii").split()))

    def compare(self, result: Any, expected: Mapping[str, int]) -> str | None:
        """None when the word counts match exactly, else which words differ and how."""
        if not isinstance(result, Mapping):
            return f"expected a word -> count mapping, got {type(result).__name__}"
        if result == expected:
            return None
        missing = sorted(expected.keys() - result.keys())
        extra = sorted(result.keys() - expected.keys())
        wrong = sorted(w for w in expected.keys() & result.keys() if result[w] != expected[w])
        parts = []
        if wrong:
            w = wrong[0]
            parts.append(f"{len(wrong)} word(s) counted differently, first {w!r}: "
                         f"got {result[w]!r}, expected {expected[w]!r}")
        if missing:
            w = missing[0]
            parts.append(f"{len(missing)} word(s) missing, first {w!r} "
                         f"(expected {expected[w]!r})")
        if extra:
            w = extra[0]
            parts.append(f"{len(extra)} word(s) not in the text, first {w!r} "
                         f"(got {result[w]!r})")
        return "; ".join(parts)

    def payload(self, problem: Problem,
                chunk: tuple[int, int]) -> tuple[tuple[int, int], dict[str, np.ndarray]]:
        start, stop = chunk
        return (0, stop - start), {"text": problem.inputs["text"][start:stop]}

    def work_bytes(self, problem: Problem) -> int:
        return problem.input_bytes
