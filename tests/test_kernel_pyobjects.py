"""python-objects: the text, word-aligned chunks, every flavour and strategy, bad input, the GIL."""

from __future__ import annotations

import hashlib
import itertools
import pickle
import statistics
from collections import Counter

import numpy as np
import pytest

from gilbench import FLAVOURS, STRATEGIES
from gilbench.compat import incompatible_reason
from gilbench.gilprobe import GilProbe, gil_enabled
from gilbench.kernels import Problem, Workspace, get_kernel
from gilbench.kernels import pyobjects as po
from tests.conftest import reading

KERNEL = get_kernel("python-objects")
FLAVOURS_HERE = sorted(KERNEL.implementations)
SIZE = 3_001  # words; small, and not a multiple of the chunk counts
# Leading, trailing and repeated spaces, one-letter words, one word longer than any chunk.
ODD_TEXTS = [b"b a b c b", b"  lead  and   trail  ", b"x", b" ", b"",
             b"a " * 50 + b"averyveryverylongwordthatspansseveralchunks a"]


def text_problem(text: bytes) -> Problem:
    return Problem(KERNEL.name, max(1, len(text.split())), 0, {"words": len(text.split())},
                   inputs={"text": np.frombuffer(text, dtype=np.uint8)})


def counts(flavour: str, problem: Problem, chunks: int) -> dict[str, int]:
    ws = Workspace.local(problem)
    fn = KERNEL.implementations[flavour].fn
    partials = [fn(ws, chunk) for chunk in KERNEL.split(problem, chunks)]
    assert all(type(p) is dict for p in partials)
    return KERNEL.merge(problem, ws, partials)


# -- the vocabulary and the text --------------------------------------------------------
def test_vocabulary_is_fixed_unique_lowercase_ascii():
    words = po.vocabulary()
    assert len(words) == len(set(words)) == po.VOCABULARY_SIZE
    assert all(w.isascii() and w.isalpha() and w.islower() for w in words)
    assert max(map(len, words)) <= po.MAX_WORD
    digest = hashlib.sha256(" ".join(words).encode()).hexdigest()
    po.vocabulary.cache_clear()
    assert hashlib.sha256(" ".join(po.vocabulary()).encode()).hexdigest() == digest


def test_text_is_words_separated_by_single_spaces():
    text = po.make_text(SIZE, seed=3).tobytes()
    assert not text.startswith(b" ") and not text.endswith(b" ") and b"  " not in text
    words = text.decode("ascii").split(" ")
    assert len(words) == SIZE
    assert set(words) <= set(po.vocabulary())


def test_word_frequencies_are_zipf_like():
    freq = Counter(po.make_text(200_000, seed=1).tobytes().split())
    vocab = [w.encode() for w in po.vocabulary()]
    assert freq.most_common(1)[0][0] == vocab[0]
    assert freq[vocab[0]] > 2 * freq[vocab[1]] > 2 * freq[vocab[20]] > freq[vocab[1000]]
    # Zipf with s = 1.1: word 0 is about 2**1.1 times as frequent as word 1.
    assert 1.6 < freq[vocab[0]] / freq[vocab[1]] < 2.7


def test_problem_is_deterministic_and_seeded():
    a, b, c = (KERNEL.make_problem(SIZE, seed) for seed in (4, 4, 5))
    assert (a.inputs["text"] == b.inputs["text"]).all()
    assert a.inputs["text"].tobytes() != c.inputs["text"].tobytes()
    assert a.params == {"words": SIZE} and a.outputs == {}
    assert KERNEL.work_bytes(a) == a.inputs["text"].size


def test_reference_on_a_hand_made_text():
    assert KERNEL.reference(text_problem(b"b a b c b")) == {"b": 3, "a": 1, "c": 1}
    assert sum(KERNEL.reference(KERNEL.make_problem(SIZE)).values()) == SIZE


# -- chunks -----------------------------------------------------------------------------
@pytest.mark.parametrize("text", ODD_TEXTS + [po.make_text(200, 0).tobytes()])
def test_split_falls_on_spaces_and_covers_the_text(text):
    problem = text_problem(text)
    for chunks in (1, 2, 3, 7, 50, 10_000):
        ranges = KERNEL.split(problem, chunks)
        assert len(ranges) <= chunks
        assert all(b > a for a, b in ranges)
        if text:
            assert ranges[0][0] == 0 and ranges[-1][1] == len(text)
        assert all(r1[1] == r2[0] for r1, r2 in itertools.pairwise(ranges))
        assert all(text[b:b + 1] == b" " for _, b in ranges[:-1]), (chunks, ranges)


@pytest.mark.parametrize("flavour", FLAVOURS_HERE)
@pytest.mark.parametrize("text", ODD_TEXTS)
def test_odd_texts_count_like_str_split(flavour, text):
    expected = dict(Counter(text.decode("ascii").split()))
    for chunks in (1, 2, 3, 7):
        assert counts(flavour, text_problem(text), chunks) == expected


def strategies(flavour: str) -> list[str]:
    return [s.name for s in STRATEGIES.values()
            if not incompatible_reason(KERNEL, FLAVOURS[flavour], s)]


def test_processes_and_pickled_inputs_are_among_the_strategies():
    for flavour in FLAVOURS_HERE:
        assert {"serial", "threads", "processes", "processes-pickle"} <= set(strategies(flavour))


def test_payload_ships_the_chunk_slice_rebased():
    problem = KERNEL.make_problem(SIZE)
    text = problem.inputs["text"]
    partials = []
    for chunk in KERNEL.split(problem, 3):
        rebased, inputs = KERNEL.payload(problem, chunk)
        assert rebased == (0, chunk[1] - chunk[0])
        assert inputs["text"].tobytes() == text[chunk[0]:chunk[1]].tobytes()
        shipped = pickle.loads(pickle.dumps(inputs))
        partials.append(po.python_count(Workspace({}, shipped), rebased))
    merged = KERNEL.merge(problem, Workspace({}, {}), partials)
    assert KERNEL.compare(merged, KERNEL.reference(problem)) is None


def test_merge_adds_partial_dicts():
    merged = KERNEL.merge(None, None, [{"a": 1, "b": 2}, {}, {"b": 3, "c": 4}])
    assert merged == {"a": 1, "b": 5, "c": 4}


# -- compare names the word that differs ------------------------------------------------
def test_compare_says_which_word_differs():
    expected = {"apple": 3, "pear": 2, "fig": 1}
    assert KERNEL.compare(dict(expected), expected) is None
    msg = KERNEL.compare({"apple": 3, "pear": 5, "fig": 1}, expected)
    assert "'pear'" in msg and "got 5" in msg and "expected 2" in msg
    msg = KERNEL.compare({"apple": 3, "pear": 2}, expected)
    assert "missing" in msg and "'fig'" in msg
    msg = KERNEL.compare({**expected, "kiwi": 7}, expected)
    assert "not in the text" in msg and "'kiwi'" in msg
    assert "mapping" in KERNEL.compare([("apple", 3)], expected)


# -- bad input --------------------------------------------------------------------------
@pytest.mark.parametrize("flavour", FLAVOURS_HERE)
def test_out_of_range_chunks_raise(flavour):
    fn = KERNEL.implementations[flavour].fn
    ws = Workspace.local(text_problem(b"one two three"))
    for chunk in [(-1, 3), (4, 3), (0, 14)]:
        with pytest.raises(ValueError, match="byte range"):
            fn(ws, chunk)
    assert fn(ws, (3, 3)) == {}


@pytest.mark.parametrize("flavour", FLAVOURS_HERE)
def test_non_ascii_text_raises(flavour):
    ws = Workspace.local(text_problem("caf\u00e9 ok".encode()))
    with pytest.raises(UnicodeDecodeError):
        KERNEL.implementations[flavour].fn(ws, (0, 8))


def test_cython_def_rejects_bad_input():
    ext = pytest.importorskip("gilbench._native.pyobjects",
                              reason="never skipped in CI: the build is part of the run")
    text = np.frombuffer(b"to be or not to be", dtype=np.uint8)
    assert ext.count_words(text, 0, text.size) == {"to": 2, "be": 2, "or": 1, "not": 1}
    assert ext.count_words(np.zeros(0, dtype=np.uint8), 0, 0) == {}
    with pytest.raises(ValueError):
        ext.count_words(text.astype(np.int32), 0, 3)  # wrong dtype
    with pytest.raises(ValueError):
        ext.count_words(np.repeat(text, 2)[::2], 0, 3)  # not contiguous
    with pytest.raises(ValueError):
        ext.count_words(text.reshape(2, -1), 0, 3)  # wrong number of dimensions
    for start, stop in [(-1, 3), (5, 3), (0, text.size + 1)]:
        with pytest.raises(ValueError, match="byte range"):
            ext.count_words(text, start, stop)
    with pytest.raises(TypeError):
        ext.count_words(None, 0, 0)
    with pytest.raises(TypeError):
        ext.count_words(text, 0.5, 3)


# -- the GIL ----------------------------------------------------------------------------
def _availability(flavour: str, size: int = 2_000_000) -> float | None:
    problem = KERNEL.make_problem(size)
    ws = Workspace.local(problem)
    fn = KERNEL.chunk_function(flavour)
    (chunk,) = KERNEL.split(problem, 1)
    fn(ws, chunk)  # warm
    with GilProbe() as probe:
        fn(ws, chunk)  # about 0.2 s compiled, 0.3 s in Python
    return reading(probe)


def test_python_objects_keep_the_gil():
    """Both flavours hold the GIL: the compiled loop for the whole call, pure Python
    between forced switches, which the probe (it only takes a free GIL and hands it
    straight back) reads as held too. Medians of three rounds."""
    rounds = [(_availability("cython-gil"), _availability("python", 1_500_000))
              for _ in range(3)]
    if not gil_enabled():
        assert rounds == [(None, None)] * 3  # both read "no GIL"
        return
    compiled, python = (statistics.median(r[i] for r in rounds) for i in range(2))
    assert compiled < 0.25, f"cython-gil: GIL availability {compiled:.2f}"
    assert python < 0.25, f"python: GIL availability {python:.2f}"
