"""Name lookup shared by the kernel, flavour and strategy registries (plain dicts)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

T = TypeVar("T")


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
    if not isinstance(name, str) or not name or name != name.strip():
        raise ValueError(f"{kind} name must be a non-empty string. Got {name!r} instead.")
    if name in registry and not replace:
        raise ValueError(f"{kind} {name!r} is already registered (pass replace=True)")
    registry[name] = item
    return item
