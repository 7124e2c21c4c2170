"""Name lookup shared by the kernel, flavour and strategy registries (plain dicts), and the
one rule for what a name may be, which files read from other machines are checked against."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TypeVar

T = TypeVar("T")

#: What a registered name may be. Names become file names (``mandelbrot-granularity.png``),
#: table cells and HTML text, so they hold no path separator, space, markup or quote.
NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
#: :data:`NAME_PATTERN` in words, for error messages.
NAME_RULE = "1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit"


def is_name(value: object) -> bool:
    """Whether ``value`` is a string that :data:`NAME_PATTERN` allows."""
    return isinstance(value, str) and NAME_PATTERN.fullmatch(value) is not None


def lookup(registry: Mapping[str, T], kind: str, name: object) -> T:
    """Return ``registry[name]`` or raise ValueError naming the bad value and the valid ones."""
    if not isinstance(name, str):
        raise TypeError(f"{kind} name must be a str. Got {name!r} instead.")
    try:
        return registry[name]
    except KeyError:
        raise ValueError(
            f"unknown {kind} {name!r}; valid choices: {', '.join(sorted(registry))}"
        ) from None


def add(registry: dict[str, T], kind: str, name: str, item: T, *, replace: bool) -> T:
    """Insert ``item`` under ``name``; refuse to shadow an existing entry unless asked to."""
    if not is_name(name):
        raise ValueError(f"{kind} name must be {NAME_RULE}. Got {name!r} instead.")
    if name in registry and not replace:
        raise ValueError(f"{kind} {name!r} is already registered (pass replace=True)")
    registry[name] = item
    return item
