"""What the commands show on the terminal besides their results: the progress bar, and
messages to a stderr that may be gone."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from gilbench.profiles import LEFT_OUT

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress

__all__ = ["make_progress", "say"]


def make_progress(console: Console) -> Progress:
    """The progress bar of ``gilbench run`` and ``gilbench study`` (with an ETA column)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from gilbench.eta import eta_column

    # auto_refresh=False: no refresh thread, so forking workers never sees extra threads.
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), eta_column(), console=console, auto_refresh=False,
                    transient=False)


def say(err: Console | None, message: str) -> None:
    """Print to stderr unless it is gone (a closed terminal after SIGHUP)."""
    try:
        if err is None:
            print(message, file=sys.stderr)
        else:
            err.print(message)
    except OSError:
        pass


#: Modules an optional extra brings, for the hint beside what their absence skipped.
EXTRAS = {"numba": "peers", "dask": "distributed", "joblib": "distributed"}


def skipped_by_cause(skipped) -> dict[str, list[str]]:
    """``{reason: [what, ...]}``: one line per cause, not one per skipped pair."""
    out: dict[str, list[str]] = {}
    for what, why in skipped:
        out.setdefault(why, []).append(what)
    return out


def install_hint(why: str) -> str:
    """`` (pip install -e '.[peers]')`` where an optional extra would bring what is
    missing, unless the reason says so already."""
    for module, extra in EXTRAS.items():
        if why.startswith(module) and "pip install" not in why:
            return f" (pip install -e '.[{extra}]')"
    return ""


def skipped_lines(skipped) -> list[str]:
    """One line per cause of what a plan skips (``(what, why)`` pairs), with the optional
    extra that would bring it: "numba cannot be imported: 8 skipped (mandelbrot/numba,
    ...) (pip install -e '.[peers]')", not one line per kernel and flavour."""
    return [f"  {'' if why.startswith(LEFT_OUT) else 'unavailable here: '}{why}: "
            f"{len(names)} skipped ({', '.join(names[:3])}"
            f"{', ...' if len(names) > 3 else ''}){install_hint(why)}"
            for why, names in skipped_by_cause(skipped).items()]
