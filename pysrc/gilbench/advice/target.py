"""What advise is asked about: the user's function and items, loaded and checked.

``MODULE:FUNC`` and ``MODULE:NAME`` name a module importable from the current folder (as
``python -m`` finds it) or a ``.py`` file. Each item is one task: ``fn(item)``, or
``fn(*item)`` with ``star``. Everything that makes the question unanswerable is refused
here, before anything runs, with :class:`BadAdviseInput` (one line, exit 2).
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import pickle
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any


class BadAdviseInput(ValueError):
    """Input advise cannot judge: printed as one line, exit code 2."""


@dataclass(frozen=True, kw_only=True)
class Target:
    """One function and the items it runs on (``star``: unpack each item)."""

    fn: Callable[..., Any]
    items: tuple[Any, ...]
    star: bool = False
    #: ``module:name`` as the user wrote it, or the function's qualified name.
    name: str

    def call(self, item: Any) -> Any:
        """One task: ``fn(item)``, or ``fn(*item)`` with ``star``."""
        return self.fn(*item) if self.star else self.fn(item)

    @property
    def task(self) -> Callable[[Any], Any]:
        """A one-argument callable that pickles by reference where ``fn`` does: what a
        pool maps over the items."""
        return partial(star_call, self.fn) if self.star else self.fn


def star_call(fn: Callable[..., Any], item: Any) -> Any:
    """``fn(*item)``: module-level, so a pool can pickle ``partial(star_call, fn)``."""
    return fn(*item)


def describe(fn: Any) -> str:
    """``module:qualname`` of a function (the name advice shows), or its repr."""
    module = getattr(fn, "__module__", None)
    name = getattr(fn, "__qualname__", None) or getattr(fn, "__name__", None)
    return f"{module}:{name}" if module and name else repr(fn)


def _import_module(module: str) -> Any:
    """Import ``module``: a dotted name found from the current folder, or a .py file."""
    if module.endswith(".py") or os.sep in module:
        path = Path(module).resolve()
        if not path.is_file():
            raise BadAdviseInput(f"no such file {module!r}")
        # Imported by its stem with its folder on sys.path, as `python file.py` finds
        # its neighbours: a pool's workers (spawn included) import it again by that name.
        if str(path.parent) not in sys.path:
            sys.path.insert(0, str(path.parent))
        loaded = sys.modules.get(path.stem)
        if loaded is not None and Path(getattr(loaded, "__file__", "") or "").resolve() != path:
            raise BadAdviseInput(f"{module!r} is named like the module {path.stem!r} "
                                 "already imported from elsewhere; rename the file")
        return importlib.import_module(path.stem)
    if "" not in sys.path and os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())  # as `python -m` does
    return importlib.import_module(module)


def load_object(spec: str, what: str) -> Any:
    """The object ``MODULE:NAME`` names; BadAdviseInput saying what went wrong."""
    if not isinstance(spec, str) or spec.count(":") != 1 or not all(spec.split(":")):
        raise BadAdviseInput(f"{what} must be MODULE:NAME (a module or a .py file, a colon, "
                             f"a name in it). Got {spec!r} instead.")
    module, name = spec.split(":")
    try:
        mod = _import_module(module)
    except BadAdviseInput:
        raise
    except Exception as exc:  # noqa: BLE001 - any failure to import is the user's to fix
        first = str(exc).splitlines()[0] if str(exc) else ""
        raise BadAdviseInput(f"{what} {spec!r}: module {module!r} does not import "
                             f"({type(exc).__name__}: {first})") from None
    obj: Any = mod
    for part in name.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise BadAdviseInput(f"{what} {spec!r}: module {module!r} has no {name!r}") \
                from None
    return obj


def load_function(spec: str) -> Callable[..., Any]:
    """The callable ``MODULE:FUNC`` names; BadAdviseInput when it is not callable."""
    fn = load_object(spec, "function")
    if not callable(fn):
        raise BadAdviseInput(f"function {spec!r} is not callable. Got "
                             f"{type(fn).__name__} {fn!r:.60} instead.")
    return fn


def load_items(spec: str) -> Any:
    """The items ``MODULE:NAME`` names: the object, or what calling it returns."""
    items = load_object(spec, "items")
    if callable(items) and not isinstance(items, (list, tuple)):
        try:
            items = items()
        except Exception as exc:  # noqa: BLE001 - the user's function failed
            raise BadAdviseInput(f"items {spec!r} raised {type(exc).__name__}: {exc}") \
                from None
    return items


def make_target(fn: Any, items: Any, *, star: bool = False, name: str | None = None) -> Target:
    """A checked :class:`Target`: ``fn`` callable, ``items`` a non-empty iterable (of
    tuples with ``star``)."""
    if not callable(fn):
        raise BadAdviseInput(f"fn must be callable. Got {type(fn).__name__} {fn!r:.60} "
                             "instead.")
    if isinstance(items, (str, bytes)) or not isinstance(items, Iterable):
        raise BadAdviseInput("items must be an iterable of tasks (a list, or a function "
                             f"returning one). Got {type(items).__name__} {items!r:.60} "
                             "instead.")
    try:
        listed = tuple(items)
    except Exception as exc:  # noqa: BLE001 - a generator of the user's that failed
        raise BadAdviseInput(f"items could not be iterated ({type(exc).__name__}: {exc})") \
            from None
    if not listed:
        raise BadAdviseInput("items is empty: advise needs at least one task. Got "
                             f"{type(items).__name__} of 0 items instead.")
    if star:
        for index, item in enumerate(listed):
            if not isinstance(item, (tuple, list)):
                raise BadAdviseInput(f"--star unpacks each item into fn(*item), but item "
                                     f"{index} is not a tuple. Got {item!r:.60} instead.")
    return Target(fn=fn, items=listed, star=star, name=name or describe(fn))


def pickle_problem(target: Target, results: Iterable[Any] = ()) -> str | None:
    """Why process pools cannot run ``target`` (the function, an item or a result does
    not pickle), or None when all of them do."""
    checks = [("the function", target.task)]
    checks += [(f"item {i}", item) for i, item in enumerate(target.items[:3])]
    checks += [(f"the result of item {i}", r) for i, r in enumerate(results)]
    for what, obj in checks:
        try:
            pickle.loads(pickle.dumps(obj))
        except Exception as exc:  # noqa: BLE001 - pickling raises many kinds
            return (f"{what} cannot be pickled ({type(exc).__name__}: "
                    f"{str(exc).splitlines()[0] if str(exc) else ''}), and process pools "
                    "send it to their workers by pickle")
    return None


__all__ = ["BadAdviseInput", "Target", "describe", "load_function", "load_items",
           "make_target", "pickle_problem", "star_call"]
