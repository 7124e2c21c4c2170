"""What the commands show on the terminal besides their results: the progress bar, and
messages to a stderr that may be gone."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

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
