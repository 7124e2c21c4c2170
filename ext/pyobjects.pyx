# cython: freethreading_compatible=True
"""Word counting that must build Python objects: a compiled loop that still needs the GIL.

The scan over the bytes is C, but every word becomes a ``str`` and every count a dict
update, and both are Python objects, so the loop holds the GIL from start to end. There
is deliberately no nogil variant: it would need its own C hash table of byte strings,
which is a different program from "count words into a dict".
"""

from cpython.dict cimport PyDict_GetItemWithError
from cpython.ref cimport PyObject
from cpython.unicode cimport PyUnicode_DecodeASCII

cdef enum:
    SPACE = 32  # words are separated by ASCII spaces (b" ")


def count_words(const unsigned char[::1] text not None, Py_ssize_t start, Py_ssize_t stop):
    """Count the space-separated ASCII words of ``text[start:stop]`` into a new dict.

    Runs of spaces separate words like ``str.split()`` does (no empty words; only b" "
    counts as a separator, and the kernel's text has no other whitespace); a byte above
    127 raises UnicodeDecodeError, as ``bytes.decode("ascii")`` would.
    """
    if not 0 <= start <= stop <= text.shape[0]:
        raise ValueError(
            f"byte range [{start}, {stop}) is outside a text of {text.shape[0]} bytes")
    cdef dict counts = {}
    cdef Py_ssize_t i = start, j
    cdef object word
    cdef PyObject* found
    while i < stop:
        if text[i] == SPACE:
            i += 1
            continue
        j = i + 1
        while j < stop and text[j] != SPACE:
            j += 1
        word = PyUnicode_DecodeASCII(<char*>&text[i], j - i, NULL)
        # Borrowed reference: safe, the dict is local to this call.
        found = PyDict_GetItemWithError(counts, word)
        if found == NULL:
            counts[word] = 1
        else:
            counts[word] = <object>found + 1
        i = j
    return counts
