"""The guide's figures, taken from the committed results under docs/results/ by a script.

Writes MyST snippets (tables, finding sentences, plots) into docs/_generated/, one folder
per guide page; the pages include them. Nothing in a snippet is typed by hand: every
figure is a committed run, finding or plot, named with the machine it was measured on.
The Sphinx build runs :func:`generate` (docs/_ext/gilbench_docs.py), so the snippets
follow whatever is committed; ``python tools/docs_figures.py`` writes them by hand.

Which results a page reads is decided in one place: :data:`REFERENCE` names the reference
sweep, and a page whose runs it lacks (numba, subinterpreters, a free-threaded build, the
studies) takes the freshest committed folder that has them, on the reference's CPU first.
"""

from __future__ import annotations

import json
import re
import shutil
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "docs" / "results"
GENERATED = ROOT / "docs" / "_generated"
#: Where :func:`generate` is writing (plots are copied there).
_OUT = GENERATED
sys.path.insert(0, str(ROOT / "pysrc"))
sys.path.insert(0, str(ROOT / "tools"))

from readme_excerpt import rules_table  # noqa: E402

from gilbench.analysis import analyse  # noqa: E402
from gilbench.analysis.crossings import fmt_duration  # noqa: E402

#: The reference sweep, best first: the first of these folders under docs/results/ that is
#: committed. The one place to change when new reference results are committed.
REFERENCE = ("2cpu-xeon-standard", "2cpu-xeon-quick")

#: What a page says where no committed result holds what it needs.
NOT_MEASURED = ("No committed gilbench result measures this yet ({what}); "
                "`{command}` {does}.")


@dataclass
class Folder:
    """One committed results folder: a sweep (results.json), a comparison or studies."""

    path: Path

    @property
    def name(self) -> str:
        return self.path.relative_to(RESULTS).as_posix()

    def _json(self, name: str) -> Any:
        p = self.path / name
        return json.loads(p.read_text()) if p.is_file() else None

    @cached_property
    def results(self) -> Mapping[str, Any] | None:
        return self._json("results.json")

    @cached_property
    def findings(self) -> list[Mapping[str, Any]]:
        doc = self._json("findings.json")
        return doc["findings"] if doc else []

    @cached_property
    def compared(self) -> list[Mapping[str, Any]]:
        """The results documents a comparison's findings.json names (those committed)."""
        doc = self._json("findings.json") or {}
        paths = [ROOT / p for p in doc.get("source", {}).get("compare", [])]
        return [json.loads(p.read_text()) for p in paths if p.is_file()]

    @property
    def labels(self) -> list[str]:
        return (self._json("findings.json") or {}).get("source", {}).get("labels", [])

    @cached_property
    def studies(self) -> dict[str, Mapping[str, Any]]:
        """The study documents (NAME.json with a "study" key) in this folder."""
        found = {}
        for p in sorted(self.path.glob("*.json")):
            doc = json.loads(p.read_text())
            if isinstance(doc, dict) and "study" in doc and "data" in doc:
                found[doc["study"]] = doc
        return found

    @cached_property
    def rows(self) -> list[Any]:
        return [r for view in analyse(self.results, kinds=[]).kernels for r in view.rows]

    @property
    def machine(self) -> Mapping[str, Any]:
        if self.results:
            return self.results["machine"]
        for doc in [*self.studies.values(), *self.compared]:
            return doc["machine"]
        return {}

    @property
    def created(self) -> str:
        if self.results:
            return self.results.get("created", "")
        return max((d.get("created", "") for d in [*self.studies.values(), *self.compared]),
                   default="")

    @property
    def page(self) -> str | None:
        """The site's document for this folder (report.md, compare.md or studies.md)."""
        for name in ("report", "compare", "studies"):
            if (self.path / f"{name}.md").is_file():
                return f"/results/{self.name}/{name}"
        return None

    def has_runs(self, **match: Any) -> bool:
        runs = self.results["runs"] if self.results else []
        return any(all(r.get(k) == v for k, v in match.items()) for r in runs)


def folders() -> list[Folder]:
    """Every committed results folder (studies may sit one level down), freshest first."""
    found = [Folder(p.parent) for p in RESULTS.glob("*/*.json")]
    found += [Folder(p.parent) for p in RESULTS.glob("*/*/*.json")]
    unique = {f.path: f for f in found if f.results or f.findings or f.studies}
    return sorted(unique.values(), key=lambda f: f.created, reverse=True)


def reference() -> Folder:
    """The reference sweep (:data:`REFERENCE`)."""
    for name in REFERENCE:
        if (RESULTS / name / "results.json").is_file():
            return Folder(RESULTS / name)
    raise SystemExit(f"none of {REFERENCE} is committed under {RESULTS}")


def pick(needs: Callable[[Folder], bool]) -> Folder | None:
    """The reference when it ``needs``-qualifies, else the freshest folder that does, on the
    reference's CPU first."""
    ref = reference()
    if needs(ref):
        return ref
    cpu = ref.machine.get("cpu_model")
    candidates = [f for f in folders() if needs(f)]
    candidates.sort(key=lambda f: f.machine.get("cpu_model") != cpu)  # stable: fresh first
    return candidates[0] if candidates else None


# -- words ---------------------------------------------------------------------------------
def machine_words(machine: Mapping[str, Any]) -> str:
    """The machine and interpreter a result was measured with, from its own record."""
    gil = machine.get("gil", {})
    build = ("free-threaded build, GIL " + ("on" if gil.get("gil_enabled") else "off")
             if gil.get("free_threaded_build") else "GIL on")
    python = machine.get("versions", {}).get("python") or machine.get("python", "?").split()[0]
    cores = machine.get("usable_cores") or machine.get("cpu_count")
    return (f"{machine.get('cpu_model', 'an unnamed CPU')}, {cores} usable cores, "
            f"{machine.get('python_implementation', 'CPython')} {python} ({build})")


def source_line(folder: Folder) -> str:
    """Where a snippet's figures come from: the machine, the date and the committed file."""
    created = folder.created[:10]
    profile = (folder.results or {}).get("settings", {}).get("profile")
    presets = sorted({d.get("preset") or "default" for d in folder.studies.values()})
    what = (f"profile {profile}, " if profile else
            f"studies' preset {', '.join(presets)}, " if presets else "")
    machine = machine_words(folder.machine)
    if folder.labels:  # a comparison: several interpreters on one machine
        machine = (f"{machine.split(', CPython')[0]}, interpreters "
                   f"{', '.join(folder.labels)}")
    link = f"{{doc}}`docs/results/{folder.name} <{folder.page}>`" if folder.page else (
        f"`docs/results/{folder.name}/`")
    return f"*Measured on {machine}; {what}{created}; from {link}.*\n"


def not_measured(what: str, command: str, does: str = "measures it on your machine") -> str:
    return "*" + NOT_MEASURED.format(what=what, command=command, does=does) + "*\n"


def schedule(row: Any) -> str:
    return f" ({row.schedule})" if row.schedule else ""


def times(x: float | None) -> str:
    return "-" if x is None else f"{x:.2f}x"


# -- snippets ------------------------------------------------------------------------------
def runs_table(folder: Folder, flavours: Iterable[str], strategies: Iterable[str],
               kernels: Iterable[str] | None = None) -> str:
    """The plain sweep's runs of ``flavours`` x ``strategies``, at the usable cores (and
    the one-worker runs of strategies that parallelise a flavour themselves)."""
    flavours, strategies = list(flavours), list(strategies)
    cores = folder.machine.get("usable_cores") or 2
    rows = [r for r in folder.rows if r.axis in (None, "workers") and r.flavour in flavours
            and r.strategy in strategies and r.workers in (cores, 1)
            and (kernels is None or r.kernel in kernels)
            and (r.workers == cores or r.strategy == "serial")]
    rows.sort(key=lambda r: (r.kernel, flavours.index(r.flavour),
                             strategies.index(r.strategy)))
    lines = ["| kernel | flavour | strategy | workers | median | speedup over serial "
             "(interval) | CPU/wall | GIL free |", "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        interval = (f" ({r.speedup_low:.2f}-{r.speedup_high:.2f})"
                    if r.speedup_low is not None and r.strategy != "serial" else "")
        lines.append(
            f"| {r.kernel} | `{r.flavour}` | `{r.strategy}`{schedule(r)} | {r.workers} | "
            f"{fmt_duration(r.median_s)} | {times(r.speedup)}{interval} | "
            f"{'-' if r.utilisation is None else f'{r.utilisation:.2f}'} | "
            f"{'-' if r.gil_availability is None else f'{r.gil_availability:.2f}'} |")
    return "\n".join(lines) + "\n" if rows else ""


def uses(finding: Mapping[str, Any], flavour: str) -> bool:
    """Whether one of ``finding``'s runs ran ``flavour`` (run ids: kernel/flavour/...)."""
    return any(f"/{flavour}/" in run for run in finding.get("runs", []))


def sentences(findings: Iterable[Mapping[str, Any]], kinds: Iterable[str],
              flavour: str | tuple[str, ...] | None = None,
              kernels: Iterable[str] | None = None, limit: int = 4) -> str:
    """Bullets of the findings of ``kinds`` (whose runs use ``flavour``, or one of them, in
    that order), as committed."""
    kinds = list(kinds)
    wanted = (flavour,) if isinstance(flavour, str) else flavour
    picked = [f for f in findings if f["kind"] in kinds
              and (kernels is None or f["kernel"] in kernels)
              and (wanted is None or any(uses(f, w) for w in wanted))]
    if wanted:
        picked.sort(key=lambda f: min(i for i, w in enumerate(wanted) if uses(f, w)))
    picked.sort(key=lambda f: kinds.index(f["kind"]))
    return "".join(f"- {f['sentence']} (`{f['kind']}`, {f['kernel']})\n"
                   for f in picked[:limit])


def plot(folder: Folder, name: str, alt: str) -> str:
    """A committed PNG, copied beside the snippets, as a MyST image."""
    src = folder.path / name
    if not src.is_file():
        return ""
    dest = _OUT / "img" / f"{folder.name.replace('/', '-')}-{name}"
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, dest)
    return f"\n![{alt}](/_generated/img/{dest.name})\n"


def study_findings(kinds: Iterable[str], what: str, study: str, limit: int = 4,
                   alt: str | None = None) -> str:
    """The committed studies' findings of ``kinds`` (and the study's plot, described by
    ``alt``), or what is missing."""
    folder = pick(lambda f: study in f.studies)
    if folder is None:
        return not_measured(what, f"gilbench study {study}")
    text = sentences(folder.findings, kinds, limit=limit)
    if not text:
        return source_line(folder) + "\n" + not_measured(what, f"gilbench study {study}")
    return source_line(folder) + "\n" + text + (
        plot(folder, f"study-{study}.png", alt) if alt else "")


def census_table(families: Iterable[str]) -> str:
    """The gil-census study's rows of ``families``: time per call and the GIL left free."""
    folder = pick(lambda f: "gil-census" in f.studies)
    if folder is None:
        return not_measured("the GIL census of standard-library and numpy calls",
                            "gilbench study gil-census")
    families = list(families)
    ops = folder.studies["gil-census"]["data"]["operations"]
    lines = ["| operation | time per call | GIL free (median of readings) |", "|---|---|---|"]
    for name, op in ops.items():
        if op.get("family") in families or any(name.startswith(f) for f in families):
            lines.append(f"| {name} | {fmt_duration(op.get('per_call_s'))} | "
                         f"{op.get('gil_free', 0):.2f} |")
    return source_line(folder) + "\n" + "\n".join(lines) + "\n"


@dataclass(frozen=True)
class Sweep:
    """A snippet from one sweep folder: its runs table, finding sentences and plots."""

    needs: Callable[[Folder], bool] = lambda f: f.results is not None
    flavours: tuple[str, ...] = ()
    strategies: tuple[str, ...] = ("serial", "threads", "processes")
    kernels: tuple[str, ...] | None = None
    kinds: tuple[str, ...] = ()
    finding_flavour: str | tuple[str, ...] | None = None
    plots: tuple[tuple[str, str], ...] = ()
    missing: tuple[str, str] = ("", "")
    limit: int = 4
    #: Only the findings whose sentence contains this (e.g. "Thread strategies").
    contains: str | None = None

    def render(self) -> str:
        folder = pick(self.needs)
        if folder is None:
            return not_measured(*self.missing)
        parts = [source_line(folder)]
        if self.flavours:
            parts.append(runs_table(folder, self.flavours, self.strategies, self.kernels))
        if self.kinds:
            findings = [f for f in folder.findings
                        if self.contains is None or self.contains in f["sentence"]]
            parts.append(sentences(findings, self.kinds, self.finding_flavour,
                                   self.kernels, self.limit))
        for pattern, alt in self.plots:
            for p in sorted(folder.path.glob(pattern))[:1]:
                parts.append(plot(folder, p.name, alt))
        body = "\n".join(p for p in parts[1:] if p)
        return parts[0] + "\n" + (body or not_measured(*self.missing))


def reference_rules() -> str | None:
    """The reference report's rules-of-thumb table (tools/readme_excerpt.py's reader), or
    None where its report.md has none (rendered before reports had them)."""
    report = reference().path / "report.md"
    if not report.is_file() or "## Rules of thumb on this machine" not in report.read_text():
        return None
    return rules_table(report.read_text())


def rules_of_thumb() -> str:
    """The reference report's rules of thumb, with the machine they were measured on."""
    table = reference_rules()
    if table is None:
        return not_measured("rules of thumb, in the reference report",
                            f"gilbench report docs/results/{reference().name}",
                            "renders them from its results.json")
    return source_line(reference()) + "\n" + table


def rule_row(condition: str) -> dict[str, str] | None:
    """The reference report's rules-of-thumb row for ``condition`` (its first cell), as
    {column: cell}, or None where that report has no such row."""
    table = reference_rules()
    if table is None:
        return None
    lines = table.splitlines()
    header = [c.strip() for c in lines[0].strip("|").split("|")]
    for line in lines[2:]:
        cells = [c.strip() for c in line.strip("|").split("|")]
        if cells[0] == condition:
            return dict(zip(header, cells, strict=True))
    return None


def flow_step(condition: str, command: str) -> Callable[[], str]:
    """One step of the decision page's flow: the reference's measurement and its rule."""
    def render() -> str:
        row = rule_row(condition)
        if row is None:
            return not_measured(f"{condition}, in the reference sweep", command)
        return f"*On the reference machine: {row['on this machine']}.* {row['rule of thumb']}\n"
    return render


def has_flavour(name: str) -> Callable[[Folder], bool]:
    return lambda f: f.has_runs(flavour=name)


def has_strategy(name: str) -> Callable[[Folder], bool]:
    return lambda f: f.has_runs(strategy=name)


def free_threaded(f: Folder) -> bool:
    gil = f.machine.get("gil", {})
    return bool(f.results) and gil.get("free_threaded_build") and not gil.get("gil_enabled")


def compared(f: Folder) -> bool:
    return any(x["kind"] == "interpreter-comparison" for x in f.findings)


def has_kind(kind: str) -> Callable[[Folder], bool]:
    return lambda f: bool(f.results) and any(x["kind"] == kind for x in f.findings)


def generate(out: Path = GENERATED) -> list[Path]:
    """Write every snippet of ``docs_snippets.SNIPPETS`` under ``out``; the paths written."""
    from docs_snippets import SNIPPETS  # the page specs, written with the helpers above

    global _OUT
    _OUT = out
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    written = []
    for name, make in SNIPPETS.items():
        path = out / f"{name}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        text = make() if callable(make) else make.render()
        path.write_text(re.sub(r"\n{3,}", "\n\n", text))
        written.append(path)
    return written


if __name__ == "__main__":
    import docs_figures  # the module docs_snippets imports, not a second copy as __main__

    for p in docs_figures.generate():
        print(p.relative_to(ROOT))
