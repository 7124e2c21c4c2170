"""The ``gilbench`` command: list, info, run, report, export, compare, study.

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
from dataclasses import replace

from rich.console import Console
from rich.table import Table

from gilbench import __version__, interrupts, outdir, plugins
from gilbench.analysis import FINDINGS_NAME, run_id
from gilbench.axes.registry import AXES
from gilbench.flavours import FLAVOURS, SCHEDULES
from gilbench.harness import Measurement
from gilbench.kernels import KERNELS
from gilbench.limits import MAX_REPEATS, check_sweep, max_workers
from gilbench.plan import PROFILES, build_plan
from gilbench.results import RESULTS_NAME
from gilbench.strategies import DEFAULT_TIMEOUT_S, STRATEGIES
from gilbench.strategies.startmethod import START_METHODS, default_start_method

EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 1, 2, interrupts.EXIT_INTERRUPTED
DEFAULT_OUT = "gilbench-results"
DEFAULT_STUDY_OUT = f"{DEFAULT_OUT}/studies"
#: ``gilbench export --format NAME``: the module function turning a results document into
#: (that format's document, the runs it cannot hold).
EXPORT_FORMATS = {"pytest-benchmark": "gilbench.pytest_benchmark:from_results"}
DEFAULT_COMPARE_OUT = "compare-results"


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


def _flatten(lists: list[list] | None) -> list:
    return [x for sub in lists or [] for x in sub]


def build_parser() -> Parser:
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
    p.add_argument("--profile", choices=list(PROFILES), default="quick",
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
    p.add_argument("--timeout", type=_positive_int("timeout"), default=int(DEFAULT_TIMEOUT_S),
                   metavar="SECONDS", help="fail a run whose workers take longer than this "
                                           "(default: %(default)s)")
    p.add_argument("--axis", action="append", type=_name_list("axis", list(AXES)),
                   metavar="A", help="sweep these axes instead of the plain sweep ("
                   + "; ".join(f"{a.name}: {a.description}" for a in AXES.values())
                   + "); other filters still apply")
    p.add_argument("--seed", type=int, default=0, help="problem seed (default: 0)")
    p.add_argument("--scheduler", type=_scheduler_address, metavar="tcp://HOST:PORT",
                   help="an existing dask cluster for the dask-remote strategy (its workers, "
                        "maybe on other machines, need the same gilbench installed)")
    p.add_argument("--out", default=DEFAULT_OUT, metavar="DIR",
                   help="output folder (default: %(default)s)")
    p.add_argument("--no-plots", action="store_true", help="skip the PNG plots")
    p.add_argument("--quiet", action="store_true",
                   help="no progress and no summary table; print only where results went")
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
    p.add_argument("--out", metavar="DIR", help="where to write (default: beside the results)")
    p.add_argument("--no-plots", action="store_true", help="skip the PNG plots")
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
    p.add_argument("--out", default=DEFAULT_COMPARE_OUT, metavar="DIR",
                   help="output folder (default: %(default)s)")
    p.add_argument("--no-plots", action="store_true", help="skip the PNG plots")
    p.add_argument("--quiet", action="store_true",
                   help="no findings on the terminal; print only where the comparison went")

    p = sub.add_parser("study", help="measure one of the tutorial's claims (or all of them)",
                       description="Run studies of the tutorial's claims about threads, "
                                   "processes and the GIL; write NAME.json per study and "
                                   "studies.md/.html with findings.json into DIR.")
    p.add_argument("names", nargs="*", metavar="NAME",
                   help="study name(s) (gilbench study --list shows them), or all")
    p.add_argument("--list", action="store_true", help="list the studies and exit")
    p.add_argument("--tiny", action="store_true",
                   help="tiny settings: a few seconds per study, rough figures (for tests)")
    p.add_argument("--out", default=DEFAULT_STUDY_OUT, metavar="DIR",
                   help="output folder (default: %(default)s)")
    p.add_argument("--no-plots", action="store_true", help="skip the PNG plots")
    p.add_argument("--quiet", action="store_true",
                   help="no progress and no summary; print only where the report went")
    return parser


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
    kernels = {
        k.name: {"summary": k.summary, "sizes": dict(k.sizes), "flavours": {
            f: k.flavour_unavailable_reason(f) or "available" for f in FLAVOURS}}
        for k in KERNELS.values()}
    flavours = {f.name: {"description": f.description, "gil": f.gil,
                         "parallel_inside": f.parallel_inside,
                         "status": f.unavailable_reason() or "available"}
                for f in FLAVOURS.values()}
    strategies = {s.name: {"description": s.description, "uses": s.uses, "core": s.core,
                           "default_sweep": s.default_sweep,
                           "capabilities": s.capabilities(),
                           "status": s.unavailable_reason() or "available"}
                  for s in STRATEGIES.values()}
    axes = {a.name: {"description": a.description, "condition": a.condition,
                     "findings": list(a.finders),
                     "kernels": {k.name: a.unavailable_reason(k) or "applies"
                                 for k in KERNELS.values()},
                     "default_in": {p: list(ks) for p, ks in a.default_in.items()}}
            for a in AXES.values()}
    if args.json:
        print(json.dumps({"kernels": kernels, "flavours": flavours, "strategies": strategies,
                          "axes": axes}, indent=1))
        return 0
    table = Table(title="Flavours", title_justify="left")
    for col in ("flavour", "GIL", "status", "what it is"):
        table.add_column(col)
    for name, f in flavours.items():
        table.add_row(name, f["gil"] + (", parallel inside" if f["parallel_inside"] else ""),
                      _status(f["status"]), f["description"])
    console.print(table)
    table = Table(title="Strategies (* in every profile's sweep; + in the standard and full "
                        "sweeps, one flavour per kernel; the others when named)",
                  title_justify="left")
    for col in ("strategy", "status", "uses", "capabilities", "what it is"):
        table.add_column(col)
    for name, s in strategies.items():
        mark = "" if not s["default_sweep"] else "*" if s["core"] else "+"
        table.add_row(name + mark, _status(s["status"]), s["uses"],
                      capability_words(s["capabilities"]), s["description"])
    console.print(table)
    table = Table(title="Axes (gilbench run --axis NAME)", title_justify="left")
    for col in ("axis", "finding", "in profiles by default", "what it varies"):
        table.add_column(col)
    for name, a in axes.items():
        defaults = "; ".join(f"{p}: {', '.join(ks)}" for p, ks in a["default_in"].items())
        if AXES[name].plain_sweep:  # the plain sweep is (or feeds) this axis
            defaults = "every sweep (the plain runs)"
        table.add_row(name, ", ".join(a["findings"]), defaults or "-", a["description"])
    console.print(table)
    table = Table(title="Kernels x flavours (✓ runs here, ✗ implemented but unavailable "
                        "here, - not applicable)", title_justify="left")
    table.add_column("kernel")
    for f in FLAVOURS:
        table.add_column(f, justify="center")
    table.add_column("quick/standard/full size")
    notes = []
    for name, k in kernels.items():
        kernel = KERNELS[name]
        marks = []
        for f, status in k["flavours"].items():
            if status == "available":
                marks.append("[green]✓[/green]")
                continue
            marks.append("[red]✗[/red]" if f in kernel.implementations else "-")
            notes.append(f"{name} x {f}: {status}")
        sizes = "/".join(str(k["sizes"][p]) for p in PROFILES)
        for f, fs in kernel.flavour_sizes.items():
            sizes += f"\n{f}: " + "/".join(str(fs[p]) for p in PROFILES)
        table.add_row(name, *marks, sizes)
    console.print(table)
    for name, k in kernels.items():
        console.print(f"  [bold]{name}[/bold]: {k['summary']}", highlight=False)
    if notes:
        console.print("[bold]Why not:[/bold]")
        for note in notes:
            console.print(f"  {note}", highlight=False)
    return 0


def capability_words(caps: dict) -> str:
    """A strategy's declared capabilities in a few words (``gilbench list``)."""
    words = [word for flag, word in (
        ("uses_threads", "threads"), ("uses_processes", "processes"),
        ("drives_parallel_flavours", "drives self-parallel flavours"),
        ("single_worker", "one worker"), ("one_chunk", "one chunk"),
        ("ships_inputs", "ships inputs"), ("ships_outputs", "ships outputs"),
        ("remote", "remote"), ("own_gil_per_worker", "own GIL per worker"),
        ("supports_start_method", "start methods"))
        if caps.get(flag)]
    if caps.get("library"):
        words.append(f"library {caps['library']}")
    if caps.get("ipc") not in (None, "in-process"):
        words.append(f"chunks by {caps['ipc']}")
    if caps.get("returns") not in (None, "in-process"):
        words.append(f"partials {caps['returns']}")
    return ", ".join(words)


def _status(text: str) -> str:
    return "[green]available[/green]" if text == "available" else f"[red]{text}[/red]"


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
    if args.scheduler is None:
        return _cmd_run(args, console)
    from gilbench.strategies.dask_cluster import check_scheduler, use_scheduler

    reason = check_scheduler(args.scheduler)
    if reason:
        raise UsageError(f"--scheduler {args.scheduler}: {reason}")
    with use_scheduler(args.scheduler):
        return _cmd_run(args, console)


def _cmd_run(args: argparse.Namespace, console: Console) -> int:
    try:
        plan = build_plan(
            args.profile, kernels=_flatten(args.kernel), flavours=_flatten(args.flavour),
            strategies=_flatten(args.strategy), workers=_flatten(args.workers),
            sizes=_flatten(args.size), chunks=_flatten(args.chunks),
            schedules=_flatten(args.schedule), start_methods=_flatten(args.start_method),
            axes=_flatten(args.axis) or None)
        check_sweep(args.repeat, args.timeout, args.seed)
        resumption = _resumption(args, plan) if args.resume else None
    except (ValueError, TypeError) as exc:
        raise UsageError(str(exc)) from None
    if resumption is not None:
        plan = resumption.plan
    if not plan.specs:
        reasons = "; ".join(list(dict.fromkeys(
            f"{what}: {why}" for what, why in plan.skipped + plan.not_applicable))[:3])
        raise UsageError("nothing to run with these filters" +
                         (f" ({reasons})" if reasons else ""))
    if args.dry_run:  # before the output folder is claimed: nothing moves, nothing runs
        from gilbench.dryrun import print_dry_run

        # Resuming: only what is left to run.
        print_dry_run(console, plan if resumption is None
                      else replace(plan, specs=list(resumption.remaining)), args.out,
                      repeats=args.repeat)
        return 0
    err = Console(stderr=True, highlight=False, width=None if sys.stderr.isatty() else 160)
    try:  # only now that the input is good: claiming sets the previous sweep aside
        # (unless resuming: that sweep goes on in its folder)
        lock, previous = outdir.claim(args.out, keep_previous=resumption is None)
    except outdir.FolderError as exc:
        raise UsageError(str(exc)) from None
    if previous is not None:
        err.print(f"gilbench: {args.out}/ held an earlier sweep; its files are now in "
                  f"{previous}/", soft_wrap=True)
    with lock:
        if resumption is not None:  # reread under the lock: nothing ran there meanwhile
            try:
                resumption = _resumption(args, plan)
            except ValueError as exc:
                raise UsageError(str(exc)) from None
        return _run_plan(args, plan, console, err, resumption)


def _resumption(args: argparse.Namespace, plan):
    """The sweep ``--resume DIR`` continues; ResumeError (a ValueError) says why not.

    Sweep options on the command line must describe the recorded sweep; without any, the
    recorded plan and settings apply.
    """
    from gilbench.resume import ResumeError, open_sweep

    if args.out not in (DEFAULT_OUT, args.resume):
        raise ResumeError(f"--resume continues the sweep in {args.resume}; --out "
                          f"{args.out} names another folder")
    args.out = args.resume
    defaults = build_parser().parse_args(["run"])
    not_sweep = {"resume", "out", "quiet", "no_plots", "imports", "command", "dry_run"}
    named = any(getattr(args, k) != v for k, v in vars(defaults).items() if k not in not_sweep)
    if not named:
        return open_sweep(args.resume)
    return open_sweep(args.resume, plan=plan, settings={
        "profile": plan.profile.name, "seed": args.seed, "timeout_s": args.timeout,
        "repeats": plan.profile.repeats if args.repeat is None else args.repeat})


def _run_plan(args: argparse.Namespace, plan, console: Console, err: Console,
              resumption=None) -> int:
    """Run the sweep into the claimed output folder, then write the report."""
    from gilbench.report import render_report
    from gilbench.results import load_results
    from gilbench.sweep import run_sweep

    if not args.quiet and resumption is not None:
        err.print(f"gilbench: resuming {args.out}/: {resumption.finished} of "
                  f"{len(plan.specs)} runs are recorded and kept, "
                  f"{len(resumption.remaining)} to run")
    elif not args.quiet:
        err.print(f"gilbench: {len(plan.specs)} runs, profile {plan.profile.name}, "
                  f"results in {args.out}/ ({len(plan.not_applicable)} kernel x flavour "
                  "pairs are not applicable: gilbench list says why)")
        for what, why in plan.skipped:
            err.print(f"  unavailable here, skipped: {what}: {why}", style="yellow")
        if plan.baselines:
            err.print(f"  added {len(plan.baselines)} baseline run(s) that speedups are "
                      "measured against (serial, or 1 OpenMP thread)")
    progress = None if args.quiet else _progress(err)
    try:
        if progress is None:
            outcome = run_sweep(plan, args.out, repeats=args.repeat, seed=args.seed,
                                timeout=args.timeout, resume=resumption)
        else:
            with progress:
                on_run = _progress_updater(progress, plan, resumption)
                outcome = run_sweep(plan, args.out, repeats=args.repeat, seed=args.seed,
                                    timeout=args.timeout, on_run=on_run, resume=resumption)
    except KeyboardInterrupt as exc:
        _say(err, f"gilbench: interrupted; finished runs are in {args.out}/results.json")
        return interrupts.exit_code(exc)
    doc = load_results(outcome.path)
    report = render_report(doc, args.out, plots=not args.no_plots, source=str(outcome.path))
    if not args.quiet:
        print_summary(console, doc, report.parent)
        err.print(f"gilbench: {len(outcome.measurements)} runs in {outcome.elapsed_s:.1f} s; "
                  f"results {outcome.path}; findings {report.parent / FINDINGS_NAME}; "
                  f"report {report}")
    else:
        print(report)
    for failure in outcome.failures:
        err.print(f"gilbench: error: {failure}", style="red")
    # A resumed sweep is one sweep: runs that failed before resuming count too.
    earlier = [] if resumption is None else \
        [r for r in resumption.document["runs"][:resumption.finished]
         if r.get("status") != "ok"]
    for run in earlier:
        err.print(f"gilbench: error: run {run_id(run)} failed before resuming: "
                  f"{run.get('error')}", style="red")
    return EXIT_FAILED if outcome.failures or earlier else 0


def _progress(console: Console):
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from gilbench.eta import eta_column

    # auto_refresh=False: no refresh thread, so forking workers never sees extra threads.
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), eta_column(), console=console, auto_refresh=False,
                    transient=False)


def _progress_updater(progress, plan, resumption):
    """A task on ``progress`` and the ``on_run`` callback that advances it, with an ETA
    learned from the runs finished so far (recorded ones too, when resuming)."""
    import time

    from gilbench.eta import RunTimes

    times = RunTimes()
    todo = list(plan.specs if resumption is None else resumption.remaining)
    done = 0 if resumption is None else resumption.finished
    if resumption is not None:
        times.observe_recorded(resumption.document["runs"])
    task = progress.add_task("measuring", total=len(plan.specs), completed=done,
                             eta=times.remaining_s(todo))
    state = {"last": time.perf_counter(), "left": todo}

    def on_run(i: int, n: int, m: Measurement) -> None:
        now = time.perf_counter()
        # A failed run records no elapsed_s: the time since the last one stands in.
        times.observe(m.spec, m.elapsed_s if m.elapsed_s is not None else now - state["last"])
        state["last"] = now
        state["left"] = state["left"][1:]
        progress.update(task, advance=1, refresh=True, description=_one_line(m),
                        eta=times.remaining_s(state["left"]))

    return on_run


def _one_line(m: Measurement) -> str:
    if m.status != "ok":
        return f"[red]FAILED[/red] {m.kernel}/{m.flavour}/{m.strategy} x{m.workers}"
    point = f" [{m.axis} {m.axis_value}]" if m.axis and m.axis_value is not None else ""
    return (f"{m.kernel}/{m.flavour}/{m.strategy} x{m.workers}{point}: "
            f"{m.median_s * 1e3:.1f} ms")


def print_summary(console: Console, doc: dict, findings_dir) -> None:
    """The terminal's view of a sweep: per kernel, the run table and the findings, read
    back from the findings.json the report was rendered from (so the two cannot differ)."""
    from gilbench.analysis import VERDICT_TEXT, analyse, load_findings
    from gilbench.report.markdown import TABLE_HEADER, finding_lines, row_cells

    findings = load_findings(findings_dir)
    for view in analyse(doc, kinds=()).kernels:
        rows = view.main_rows()
        table = Table(title=view.kernel, title_justify="left")
        with_gbs = any(r.gbs for r in rows)
        for col in TABLE_HEADER + (["GB/s"] if with_gbs else []):
            table.add_column(col, justify="left" if col in ("flavour", "strategy") else "right")
        for r in rows:
            table.add_row(*row_cells(r, with_gbs))
        console.print(table)
        mine = [f for f in findings if f.kernel == view.kernel]
        for f, line in zip(mine, finding_lines(mine), strict=True):
            mark = f"[bold]{VERDICT_TEXT.get(f.verdict, f.verdict)}:[/bold] " if f.headline else ""
            console.print(f"  • {mark}{line}", highlight=False)


def cmd_report(args: argparse.Namespace, console: Console) -> int:
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
    from gilbench.compare import build_comparison, load_inputs
    from gilbench.report.compare import render_comparison

    labels = [x.strip() for x in _flatten([v.split(",") for v in args.label])] \
        if args.label else None
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
        _say(None, f"gilbench: warning: {line}")
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

    try:
        return study_command(args, console, _progress)
    except BadStudyInput as exc:
        raise UsageError(str(exc)) from None


COMMANDS = {"list": cmd_list, "info": cmd_info, "run": cmd_run, "report": cmd_report,
            "export": cmd_export, "compare": cmd_compare, "study": cmd_study}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``gilbench`` console script; returns the exit code."""
    # Off a terminal (CI logs, pipes) rich would wrap tables at 80 columns.
    console = Console() if sys.stdout.isatty() else Console(width=160)
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        _preimport(argv)
        args = build_parser().parse_args(argv)
        if args.command is None:
            build_parser().print_help()
            return EXIT_USAGE
        # SIGTERM and SIGHUP unwind like Ctrl-C: sessions kill workers, unlink segments.
        with interrupts.signals_interrupt():
            return COMMANDS[args.command](args, console)
    except UsageError as exc:
        print(f"gilbench: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt as exc:
        _say(None, "gilbench: interrupted")
        return interrupts.exit_code(exc)


def _say(err: Console | None, message: str) -> None:
    """Print to stderr unless it is gone (a closed terminal after SIGHUP)."""
    try:
        if err is None:
            print(message, file=sys.stderr)
        else:
            err.print(message)
    except OSError:
        pass


if __name__ == "__main__":
    sys.exit(main())
