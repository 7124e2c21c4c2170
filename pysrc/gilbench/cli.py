"""The ``gilbench`` command: list, info, run, report, export, compare, study, advise.

Exit codes: 0 success; 1 a run failed (finished runs are kept); 2 bad input (one line
naming the bad value and the valid choices, or the cap it exceeds, or why the output folder
cannot be used); 130 interrupted by Ctrl-C, 143 by SIGTERM or SIGHUP (finished runs are
kept, no worker or shared-memory segment is left).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from gilbench import __version__

if TYPE_CHECKING:
    from rich.console import Console

# Only the standard library at module level: main() installs gilbench's import and warning
# hooks before the rest of gilbench (and numpy, and the native extensions) loads.

EXIT_USAGE = 2
#: ``gilbench export --format NAME``: the module function turning a results document into
#: (that format's document, the runs it cannot hold).
EXPORT_FORMATS = {"pytest-benchmark": "gilbench.pytest_benchmark:from_results"}
DEFAULT_COMPARE_OUT = "compare-results"
#: Below the run's output folder (:data:`gilbench.runcommand.DEFAULT_OUT`).
STUDY_OUT_SUBFOLDER = "studies"


class UsageError(Exception):
    """Bad command-line input: printed as one line, exit code 2."""


class Parser(argparse.ArgumentParser):
    """argparse that reports errors in one line (no usage dump) with exit code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(message)


def _positive_int(what: str):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"invalid {what} {text!r}: expected a positive integer") from None
        if value < 1:
            raise argparse.ArgumentTypeError(f"invalid {what} {text!r}: must be >= 1")
        return value

    parse.__name__ = what
    return parse


def _int_list(what: str):
    one = _positive_int(what)

    def parse(text: str) -> list[int]:
        parts = [p.strip() for p in text.split(",")]
        if not all(parts):
            raise argparse.ArgumentTypeError(f"malformed {what} list {text!r}: "
                                             "expected e.g. 1,2,4")
        return [one(p) for p in parts]

    parse.__name__ = f"{what} list"
    return parse


def _name_list(kind: str, valid: Sequence[str]):
    def parse(text: str) -> list[str]:
        names = [p.strip() for p in text.split(",")]
        for name in names:
            if name not in valid:
                raise argparse.ArgumentTypeError(
                    f"unknown {kind} {name!r}; valid choices: {', '.join(sorted(valid))}")
        return names

    parse.__name__ = kind
    return parse


def _scheduler_address(text: str) -> str:
    """``tcp://HOST:PORT`` (or ``tls://``): where an existing dask scheduler listens."""
    scheme, sep, rest = text.partition("://")
    host, colon, port = rest.rpartition(":")
    if not (sep and scheme in ("tcp", "tls") and colon and host and port.isdigit()
            and 0 < int(port) < 65536):
        raise argparse.ArgumentTypeError(
            f"invalid scheduler address {text!r}: expected tcp://HOST:PORT")
    return text


def build_parser() -> Parser:
    """The ``gilbench`` argument parser (imports the registries, whose names it checks)."""
    from gilbench.axes.registry import AXES
    from gilbench.flavours import FLAVOURS, SCHEDULES
    from gilbench.kernels import KERNELS
    from gilbench.limits import MAX_REPEATS, max_workers
    from gilbench.profiles import PROFILES
    from gilbench.runcommand import DEFAULT_OUT, SWEEP_DEFAULTS
    from gilbench.strategies import STRATEGIES
    from gilbench.strategies.startmethod import START_METHODS, default_start_method

    parser = Parser(
        prog="gilbench",
        description="Measure when releasing the GIL lets plain threads rival "
                    "multiprocessing, on this machine.",
        epilog="Start with: gilbench run --profile quick   (then open the report.md it writes)")
    parser.add_argument("--version", action="version", version=f"gilbench {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)

    p = sub.add_parser("list", help="kernels, flavours and strategies, with availability",
                       description="List kernels, flavours and strategies; say why anything "
                                   "unavailable here is unavailable.")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    _import_option(p)

    p = sub.add_parser("info", help="machine and build facts (cores, GIL, OpenMP, versions)",
                       description="Describe this machine and gilbench build as the results "
                                   "files record it.")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--bandwidth", action="store_true",
                   help="also measure the memory copy bandwidth (~0.5 s)")

    p = sub.add_parser(
        "run", help="run a sweep, write results.json and report.md",
        description="Run every selected kernel x flavour x strategy x workers combination, "
                    "verify each against the reference, and write DIR/results.json (after "
                    "every run) and DIR/report.md. Filters may be repeated or comma-separated.")
    p.add_argument("--profile", choices=list(PROFILES), default=SWEEP_DEFAULTS["profile"],
                   help="sizes and repeats: " + "; ".join(
                       f"{k}: {v.description}" for k, v in PROFILES.items()))
    p.add_argument("--kernel", action="append", type=_name_list("kernel", list(KERNELS)),
                   metavar="K", help="kernel(s) to run (default: all)")
    p.add_argument("--flavour", action="append", type=_name_list("flavour", list(FLAVOURS)),
                   metavar="F", help="flavour(s) to run (default: all available)")
    p.add_argument("--strategy", action="append",
                   type=_name_list("strategy", list(STRATEGIES)), metavar="S",
                   help="strategy(ies) to run (default: the profile's: the core ones, plus "
                        "the components in standard and full; library executors run only "
                        "when named)")
    p.add_argument("--workers", action="append", type=_int_list("workers"), metavar="N,..",
                   help="worker counts (default: 1, 2, 4, ... up to the usable cores, "
                        f"plus that count; at most {max_workers()} here, 4x the cores)")
    p.add_argument("--size", action="append", type=_int_list("size"), metavar="N",
                   help="problem size(s) (default: the profile's size for each kernel)")
    p.add_argument("--chunks", action="append", type=_int_list("chunks"), metavar="N",
                   help="chunk count(s) (default: the kernel's chunks per worker x the "
                        "largest worker count)")
    p.add_argument("--schedule", action="append",
                   type=_name_list("schedule", list(SCHEDULES)),
                   metavar="S", help="OpenMP schedule(s) for flavours that parallelise "
                                     "themselves (default: static)")
    p.add_argument("--start-method", action="append",
                   type=_name_list("start method", list(START_METHODS)), metavar="M",
                   help="multiprocessing start method(s) of every strategy that starts "
                        f"processes: {', '.join(START_METHODS)} (default: "
                        f"{default_start_method()}, multiprocessing's default here)")
    p.add_argument("--repeat", type=_positive_int("repeat count"), metavar="N",
                   help="timed repeats per run (default: the profile's, at least 5 "
                        f"recommended, at most {MAX_REPEATS})")
    p.add_argument("--timeout", type=_positive_int("timeout"), default=SWEEP_DEFAULTS["timeout"],
                   metavar="SECONDS", help="fail a run whose workers take longer than this "
                                           "(default: %(default)s)")
    p.add_argument("--axis", action="append", type=_name_list("axis", list(AXES)),
                   metavar="A", help="sweep these axes instead of the plain sweep ("
                   + "; ".join(f"{a.name}: {a.description}" for a in AXES.values())
                   + "); other filters still apply")
    p.add_argument("--seed", type=int, default=SWEEP_DEFAULTS["seed"],
                   help="problem seed (default: %(default)s)")
    p.add_argument("--scheduler", type=_scheduler_address, metavar="tcp://HOST:PORT",
                   help="an existing dask cluster for the dask-remote strategy (its workers, "
                        "maybe on other machines, need the same gilbench installed)")
    _output_options(p, DEFAULT_OUT, quiet="no progress and no summary table; print only "
                                          "where results went")
    p.add_argument("--verbose", action="store_true",
                   help="print every kernel's run table and findings before the answer "
                        "(default: the answer only, At a glance and the rules of thumb; the "
                        "tables are in report.md)")
    p.add_argument("--dry-run", action="store_true",
                   help="print the planned runs by kernel, axis and strategy with a time "
                        "estimate (from earlier results in DIR where there are any); run "
                        "nothing")
    p.add_argument("--resume", metavar="DIR",
                   help="continue the interrupted sweep in DIR: keep its finished runs and "
                        "run only the missing ones (refused when the plan or the machine "
                        "differs from the recorded one; sweep options may be left out)")
    _import_option(p)

    p = sub.add_parser("report", help="re-render the report from a results file or folder",
                       description="Render report.md (and plots) from an existing results "
                                   "file, without running anything.")
    p.add_argument("path", help="results.json, or the folder holding it, or a pytest-benchmark "
                                "JSON file written by gilbench's benchmarks/ suites")
    _output_options(p, None, out_help="where to write (default: beside the results)")
    _import_option(p)

    p = sub.add_parser("export", help="write results in another tool's format",
                       description="Write a results file in another tool's schema, e.g. "
                                   "pytest-benchmark's, which 'pytest-benchmark compare' "
                                   "reads. Failed runs have no timings and are left out.")
    p.add_argument("--format", required=True, choices=list(EXPORT_FORMATS),
                   help="the output schema")
    p.add_argument("out", metavar="OUT.json", help="the file to write")
    p.add_argument("path", metavar="RESULTS", help="results.json, or the folder holding it")

    p = sub.add_parser(
        "compare", help="compare sweeps side by side (interpreters, machines, commits)",
        description="Align the runs of several results files (or folders) and write "
                    "compare.md, compare.html, a ratio plot per kernel and findings.json: "
                    "side-by-side medians and speedups, the single-thread cost per flavour "
                    "against the first input, and the thread scaling on each.")
    p.add_argument("paths", nargs="+", metavar="PATH",
                   help="results.json files or the folders holding them (two or more; the "
                        "first is the reference)")
    p.add_argument("--label", action="append", metavar="NAME[,NAME...]",
                   help="name the inputs, in order (default: each input's interpreter, e.g. "
                        "'3.13.5t GIL off (PYTHON_GIL=0)')")
    _output_options(p, DEFAULT_COMPARE_OUT, quiet="no findings on the terminal; print only "
                                                  "where the comparison went")

    p = sub.add_parser("study", help="measure one of the tutorial's claims (or all of them)",
                       description="Run studies of the tutorial's claims about threads, "
                                   "processes and the GIL; write NAME.json per study and "
                                   "studies.md/.html with findings.json into DIR.")
    p.add_argument("names", nargs="*", metavar="NAME",
                   help="study name(s) (gilbench study --list shows them), or all")
    p.add_argument("--list", action="store_true", help="list the studies and exit")
    p.add_argument("--tiny", action="store_true",
                   help="tiny settings: a few seconds per study, rough figures (for tests)")
    _output_options(p, f"{DEFAULT_OUT}/{STUDY_OUT_SUBFOLDER}",
                    quiet="no progress and no summary; print only where the report went")

    from gilbench.advice.command import add_parser as add_advise

    add_advise(sub, _positive_int, _output_options)
    return parser


def _output_options(p: argparse.ArgumentParser, out: str | None, *, quiet: str | None = None,
                    out_help: str = "output folder (default: %(default)s)") -> None:
    """``--out DIR`` (default ``out``), ``--no-plots`` and, where ``quiet`` says what it
    still prints, ``--quiet``: the options of every command that writes a report."""
    p.add_argument("--out", default=out, metavar="DIR", help=out_help)
    p.add_argument("--no-plots", action="store_true", help="skip the PNG plots")
    if quiet is not None:
        p.add_argument("--quiet", action="store_true", help=quiet)


def _import_option(p: argparse.ArgumentParser) -> None:
    # Imported by main() before the parser exists, so --kernel and friends know the names
    # the modules register; declared here for --help and so that the parser accepts it.
    p.add_argument("--import", action="append", dest="imports", default=[], metavar="MODULE",
                   help="import MODULE first, which registers kernels, flavours or "
                        "strategies (repeatable; process workers import it too)")


def _preimport(argv: Sequence[str]) -> None:
    """Load entry points and import the ``--import`` modules named in ``argv``: before the
    real parser is built, since it checks --kernel (and --flavour...) against the
    registries those modules fill."""
    import warnings

    from gilbench import plugins

    pre = Parser(add_help=False, allow_abbrev=False)
    pre.add_argument("--import", action="append", dest="imports", default=[])
    known, _ = pre.parse_known_args(list(argv))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", plugins.PluginWarning)
        plugins.load_entry_points()
    for w in caught:
        print(str(w.message), file=sys.stderr)
    try:
        plugins.import_modules(known.imports)
    except plugins.PluginError as exc:
        raise UsageError(str(exc)) from None


# -- commands ---------------------------------------------------------------------------
def cmd_list(args: argparse.Namespace, console: Console) -> int:
    from gilbench.listing import print_listing, registry_listing

    data = registry_listing()
    if args.json:
        print(json.dumps(data, indent=1))
        return 0
    print_listing(console, data)
    return 0


def cmd_info(args: argparse.Namespace, console: Console) -> int:
    from gilbench.machine import collect_machine_metadata
    from gilbench.report.markdown import machine_lines

    meta = collect_machine_metadata(measure_bandwidth=args.bandwidth)
    if args.json:
        print(json.dumps(meta, indent=1))
        return 0
    for label, value in machine_lines(meta, None, {}):
        console.print(f"[bold]{label:>16}[/bold]  {value}", highlight=False)
    return 0


def cmd_run(args: argparse.Namespace, console: Console) -> int:
    from gilbench.runcommand import BadRunInput, run_command

    try:
        return run_command(args, console)
    except BadRunInput as exc:
        raise UsageError(str(exc)) from None


def cmd_report(args: argparse.Namespace, console: Console) -> int:
    from gilbench import outdir
    from gilbench.pytest_benchmark import load_document
    from gilbench.report import render_report
    from gilbench.results import resolve

    try:
        doc = load_document(args.path)  # a results file, or pytest-benchmark JSON
        out = outdir.check_folder(args.out or resolve(args.path).parent)
        lock = outdir.FolderLock(out).acquire()  # not while a sweep writes there
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    with lock:
        print(render_report(doc, out, plots=not args.no_plots,
                            source=str(resolve(args.path))))
    return 0


def cmd_export(args: argparse.Namespace, console: Console) -> int:
    import importlib
    from pathlib import Path

    from gilbench import outdir
    from gilbench.results import load_results, write_atomic

    module, _, name = EXPORT_FORMATS[args.format].partition(":")
    convert = getattr(importlib.import_module(module), name)
    out = Path(args.out)
    try:
        doc = load_results(args.path)
        if out.is_dir():
            raise ValueError(f"output {str(out)!r} is a folder; name the file to write")
        outdir.check_folder(out.parent)
        exported, left_out = convert(doc)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    write_atomic(out, exported)
    kept = len(doc["runs"]) - len(left_out)
    print(f"gilbench: wrote {kept} runs to {out} ({args.format})"
          + (f"; left out {len(left_out)} failed run(s) without timings" if left_out else ""),
          file=sys.stderr)
    return 0


def cmd_compare(args: argparse.Namespace, console: Console) -> int:
    from gilbench import outdir
    from gilbench.compare import build_comparison, load_inputs
    from gilbench.report.compare import render_comparison
    from gilbench.results import RESULTS_NAME
    from gilbench.terminal import say

    labels = [x.strip() for v in args.label for x in v.split(",")] if args.label else None
    try:
        comparison = build_comparison(load_inputs(args.paths, labels))
        out = outdir.check_folder(args.out)
        if (out / RESULTS_NAME).exists():  # its findings.json would be replaced
            raise ValueError(f"output folder {args.out!r} holds a sweep's {RESULTS_NAME}; "
                             "choose another --out")
        lock = outdir.FolderLock(out).acquire()
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    for line in comparison.warnings:
        say(None, f"gilbench: warning: {line}")
    with lock:
        path, findings = render_comparison(comparison, out, plots=not args.no_plots)
    if args.quiet:
        print(path)
        return 0
    for f in findings:
        console.print(f"  • [bold]{f.kernel}[/bold] ({f.context_label()}): {f.sentence}",
                      highlight=False)
    console.print(f"gilbench: compared {', '.join(comparison.labels)}; "
                  f"{sum(a.complete for a in comparison.aligned)} runs in all of them; "
                  f"report {path}", highlight=False)
    return 0


def cmd_study(args: argparse.Namespace, console: Console) -> int:
    from gilbench.studies.command import BadStudyInput, study_command
    from gilbench.terminal import make_progress

    try:
        return study_command(args, console, make_progress)
    except BadStudyInput as exc:
        raise UsageError(str(exc)) from None


def cmd_advise(args: argparse.Namespace, console: Console) -> int:
    from gilbench.advice.command import run
    from gilbench.advice.target import BadAdviseInput

    try:
        return run(args, console)
    except BadAdviseInput as exc:
        raise UsageError(str(exc)) from None


COMMANDS = {"list": cmd_list, "info": cmd_info, "run": cmd_run, "report": cmd_report,
            "export": cmd_export, "compare": cmd_compare, "study": cmd_study,
            "advise": cmd_advise}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``gilbench`` console script; returns the exit code.

    Installs gilbench's process-wide hooks (:func:`install_hooks`) before the rest of
    gilbench loads: the command is what measures, so it is what sets them.
    """
    gilwatch = install_hooks()
    # Whatever loads with the registries (numpy, the native extensions) may turn a
    # free-threaded build's GIL back on: record which import did.
    with gilwatch.watching_imports():
        from rich.console import Console

        from gilbench import interrupts, plan  # noqa: F401  (the registries)
        from gilbench.terminal import say
    # Off a terminal (CI logs, pipes) rich would wrap tables at 80 columns.
    console = Console() if sys.stdout.isatty() else Console(width=160)
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        _preimport(argv)
        parser = build_parser()
        args = parser.parse_args(argv)
        if args.command is None:
            parser.print_help()
            return EXIT_USAGE
        # SIGTERM and SIGHUP unwind like Ctrl-C: sessions kill workers, unlink segments.
        # Past UNWIND_DEADLINE_S of cleanup after such a signal, the command kills its
        # workers and exits rather than hang.
        with interrupts.signals_interrupt(interrupts.UNWIND_DEADLINE_S):
            return COMMANDS[args.command](args, console)
    except UsageError as exc:
        print(f"gilbench: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt as exc:
        say(None, "gilbench: interrupted")
        return interrupts.exit_code(exc)


def install_hooks():
    """Install what gilbench's measurements rely on in this process (idempotent), before
    the rest of gilbench is imported: on a free-threaded build its modules load as bytecode
    (:func:`gilbench.bytecode.install`), and a GIL warning shown later is recorded
    (:func:`gilbench.gilwatch.install`). Returns :mod:`gilbench.gilwatch`."""
    from gilbench import bytecode, gilwatch

    bytecode.install()
    gilwatch.install()
    return gilwatch


if __name__ == "__main__":
    sys.exit(main())
