"""``gilbench advise MODULE:FUNC [MODULE:FUNC2] --items MODULE:NAME``: the command-line
layer over :func:`gilbench.advice.api.advise` (one function) and
:func:`~gilbench.advice.api.compare` (two: before and after, side by side)."""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path
from typing import Any

from gilbench.advice.target import BadAdviseInput

DEFAULT_OUT = "gilbench-advice"
#: The before/after subfolders of --out.
PAIR_FOLDERS = ("before", "after")


def _budget(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid budget {text!r}: expected seconds") \
            from None
    if not 0 < value <= 86_400:
        raise argparse.ArgumentTypeError(f"invalid budget {text!r}: must be > 0 and <= "
                                         "86400 seconds")
    return value


def add_parser(sub: Any, positive_int: Any, output_options: Any) -> None:
    """Declare ``advise`` on the ``gilbench`` subparsers ``sub``."""
    from gilbench.limits import max_workers

    p = sub.add_parser(
        "advise", help="how to run your own function in parallel here, measured",
        description="Profile FUNC over the items (task time, GIL-held share, pickled "
                    "bytes), predict each way of running it in parallel on this machine, "
                    "run the best candidates for real and recommend one, with the code to "
                    "paste. Two functions: before and after, side by side.")
    p.add_argument("functions", nargs="+", metavar="MODULE:FUNC",
                   help="the function (MODULE a module importable from here, or a .py "
                        "file); a second one is compared with the first")
    p.add_argument("--items", required=True, metavar="MODULE:NAME",
                   help="a list of items, or a function returning an iterable; each item "
                        "is one task, FUNC(item)")
    p.add_argument("--star", action="store_true",
                   help="unpack each item (a tuple) into the arguments of FUNC")
    p.add_argument("--calls", type=positive_int("calls"), default=1, metavar="N",
                   help="how many times your program runs the whole batch (default: 1); "
                        "a pool's start-up is shared among them")
    p.add_argument("--budget", type=_budget, default=60.0, metavar="SECONDS",
                   help="about what advise may spend: a function whose serial pass "
                        "would take longer is refused, and verification stops repeating "
                        "when it runs out (default: %(default)s)")
    p.add_argument("--check", action="store_true",
                   help="compare every pool's results with serial's")
    p.add_argument("--workers", type=positive_int("workers"), metavar="N",
                   help=f"workers of every pool (default: the usable cores; at most "
                        f"{max_workers()} here)")
    p.add_argument("--start-method", metavar="M",
                   help="start method of the process pools (default: multiprocessing's)")
    output_options(p, DEFAULT_OUT, quiet="print only the recommendation line")


def run(args: argparse.Namespace, console: Any) -> int:
    """Run ``gilbench advise``; BadAdviseInput for input it cannot judge (exit 2)."""
    from gilbench.advice import api
    from gilbench.advice import document as render
    from gilbench.advice.target import load_function, load_items

    if len(args.functions) > 2:
        raise BadAdviseInput("advise takes one function, or two to compare (before and "
                             f"after). Got {len(args.functions)} instead.")
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise BadAdviseInput(f"--out {args.out!r} is a file, not a folder")
    # Absurd settings are refused before the user's modules are imported.
    api.check_settings(args.calls, args.budget, args.workers, args.start_method)
    fns = [load_function(spec) for spec in args.functions]
    items = load_items(args.items)
    options = dict(calls=args.calls, star=args.star, budget=args.budget, check=args.check,
                   workers=args.workers, start_method=args.start_method,
                   progress=not args.quiet)
    if len(fns) == 1:
        advices = [api.advise(fns[0], items, name=args.functions[0], **options)]
    else:
        advices = api.compare(fns, items, names=args.functions, **options)
    created = not out.exists()
    try:
        written = _write(advices, out, plots=not args.no_plots)
    except BaseException:
        if created:  # nothing left behind
            shutil.rmtree(out, ignore_errors=True)
        raise
    for a in advices:
        if args.quiet:
            print(f"{a.function}: {render.headline(a)}")
        else:
            print(render.text(a))
            print()
    if len(advices) == 2 and not args.quiet:
        print("Before and after:")
        print(render.pair_text(advices))
    print(f"gilbench: advice in {written}")
    return 0


def _write(advices: list, out: Path, *, plots: bool) -> Path:
    """advice.* in ``out`` (one function), or in out/before and out/after with
    before-after.md and .json (two); the file to open first."""
    from gilbench.advice import document as render
    from gilbench.results import write_atomic

    if len(advices) == 1:
        render.write(advices[0], out, plots=plots)
        return out / "advice.md"
    for advice, folder in zip(advices, PAIR_FOLDERS, strict=True):
        render.write(advice, out / folder, plots=plots)
    (out / "before-after.md").write_text(render.pair_markdown(advices, PAIR_FOLDERS),
                                         encoding="utf-8")
    write_atomic(out / "before-after.json", render.pair_json(advices))
    return out / "before-after.md"


__all__ = ["DEFAULT_OUT", "add_parser", "run"]
