"""The study contract: one claim of the tutorial, turned into a measurement on this machine.

A study measures (``run``), then reads its own numbers back as findings, a table, a plot
and a Markdown section. Everything after ``run`` works from a :class:`StudyResult` alone,
which round-trips through ``NAME.json``, so a report can be re-rendered without measuring.
"""

from __future__ import annotations

import dataclasses
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, ClassVar

from gilbench.analysis import Finding
from gilbench.registry import add, lookup
from gilbench.report.markdown import Image

#: Schema of a study's results document (``NAME.json``).
STUDY_SCHEMA = 1
#: The settings presets every study declares.
PRESETS = ("default", "tiny")

#: Called once per finished step of a study, with a few words on what was just measured.
Progress = Callable[[str], None]


class StudyError(RuntimeError):
    """A measurement of a study failed (a child timed out, a count did not verify...)."""


@dataclass(frozen=True)
class Table:
    """A table of strings: what the Markdown section and the terminal both print."""

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    title: str = ""
    #: Lines printed under the table (what a column means, how a row was measured).
    notes: tuple[str, ...] = ()

    def markdown(self) -> list[str]:
        """The table as Markdown lines (with its title in bold above it, if any)."""
        out = [f"**{self.title}**", ""] if self.title else []
        out.append("| " + " | ".join(self.header) + " |")
        out.append("|" + "|".join("---" for _ in self.header) + "|")
        out += ["| " + " | ".join(row) + " |" for row in self.rows]
        out.append("")
        if self.notes:
            out += [f"- {note}" for note in self.notes] + [""]
        return out


@dataclass(frozen=True)
class StudyResult:
    """What one run of a study measured: JSON-able ``data`` plus how and where."""

    study: str
    preset: str
    settings: Mapping[str, Any]
    data: Mapping[str, Any]
    machine: Mapping[str, Any] = field(default_factory=dict)
    created: str = ""
    elapsed_s: float = 0.0

    def to_document(self) -> dict[str, Any]:
        """The ``NAME.json`` document."""
        return {"schema": STUDY_SCHEMA, "study": self.study, "preset": self.preset,
                "created": self.created, "elapsed_s": self.elapsed_s,
                "settings": dict(self.settings), "machine": dict(self.machine),
                "data": dict(self.data)}

    @classmethod
    def from_document(cls, doc: Any, where: str = "study results") -> StudyResult:
        """Read a ``NAME.json`` document; ValueError names the first problem."""
        if not isinstance(doc, dict) or doc.get("schema") != STUDY_SCHEMA:
            raise ValueError(f"{where}: not a study results document of schema "
                             f"{STUDY_SCHEMA}")
        for key, kind in (("study", str), ("settings", dict), ("data", dict)):
            if not isinstance(doc.get(key), kind):
                raise ValueError(f"{where}: '{key}' must be a {kind.__name__}")
        return cls(doc["study"], doc.get("preset", "default"), doc["settings"], doc["data"],
                   doc.get("machine") or {}, doc.get("created", ""),
                   float(doc.get("elapsed_s") or 0.0))


class Study(ABC):
    """One claim of the tutorial, measured.

    A subclass provides:

    - ``name`` (what ``gilbench study NAME`` takes), ``title``, ``claim`` (the tutorial's
      claim in English) and ``quote`` (its original words);
    - ``presets``: ``{"default": Settings(...), "tiny": Settings(...)}`` where ``Settings``
      is the study's frozen dataclass; "tiny" runs in a few seconds (tests use it);
    - :meth:`steps` (how often :meth:`measure` calls ``progress``) and :meth:`measure`;
    - :meth:`findings`, :meth:`tables` and :meth:`plot`, which read a
      :class:`StudyResult` only.

    :meth:`run` (timing, metadata) and :meth:`markdown` (the report section) are provided.
    Every wait :meth:`measure` does on another thread or process has a timeout, and every
    thread and process it starts is gone when it returns or raises (Ctrl-C included).
    """

    name: ClassVar[str]
    title: ClassVar[str]
    claim: ClassVar[str]
    quote: ClassVar[str] = ""
    presets: ClassVar[Mapping[str, Any]]

    def settings(self, preset: str = "default") -> Any:
        """The settings of ``preset``; ValueError lists the valid presets."""
        return lookup(self.presets, "preset", preset)

    @abstractmethod
    def steps(self, settings: Any) -> int:
        """How many times :meth:`measure` will call ``progress`` with these settings."""

    @abstractmethod
    def measure(self, settings: Any, progress: Progress) -> dict[str, Any]:
        """Measure; return JSON-able data (seconds as floats, counts as ints)."""

    @abstractmethod
    def findings(self, result: StudyResult) -> list[Finding]:
        """The statements the numbers support, each with its figures; sentences are
        computed from the numbers."""

    @abstractmethod
    def tables(self, result: StudyResult) -> list[Table]:
        """The study's tables, most important first."""

    @abstractmethod
    def plot(self, result: StudyResult, out_dir: Path) -> list[Image]:
        """Draw the study's plots into ``out_dir``; return the files written."""

    def save_plot(self, fig: Any, out_dir: Path, alt: str) -> list[Image]:
        """Write the matplotlib figure ``fig`` as ``study-NAME.png`` (no overlapping tick
        labels) and close it."""
        from gilbench.report.plotstyle import save_figure

        name = f"study-{self.name}.png"
        save_figure(fig, Path(out_dir) / name, dpi=100)
        return [Image(name, alt)]

    def run(self, preset: str = "default", progress: Progress | None = None, *,
            machine: Mapping[str, Any] | None = None) -> StudyResult:
        """Measure with the settings of ``preset`` and wrap the data with its metadata."""
        settings = self.settings(preset)
        created = datetime.now(timezone.utc).isoformat(timespec="seconds")
        t0 = time.perf_counter()
        data = self.measure(settings, progress or (lambda _what: None))
        return StudyResult(self.name, preset, dataclasses.asdict(settings), data,
                           dict(machine or {}), created, time.perf_counter() - t0)

    def markdown(self, result: StudyResult, findings: Sequence[Finding],
                 images: Sequence[Image]) -> list[str]:
        """The study's report section: the claim, the findings, the plots, the tables."""
        out = [f"## {self.title} (`gilbench study {self.name}`)", ""]
        out += [f"*The tutorial:* {self.claim}" + (f" ({self.quote})" if self.quote else ""),
                ""]
        how = f"Measured {result.created}" if result.created else "Measured"
        out += [f"{how} in {result.elapsed_s:.1f} s with the {result.preset} settings.", ""]
        out += [f"- {f.sentence}" for f in findings] + [""]
        for image in images:
            out += [f"![{image.alt}]({image.file})", ""]
        for table in self.tables(result):
            out += table.markdown()
        return out


STUDIES: dict[str, Study] = {}


def register_study(study: Study, *, replace: bool = False) -> Study:
    """Add a study instance to the registry (its presets must include default and tiny)."""
    if not isinstance(study, Study):
        raise TypeError(f"register_study expects a Study instance. "
                        f"Got {type(study).__name__} instead.")
    missing = [p for p in PRESETS if p not in study.presets]
    if missing:
        raise ValueError(f"study {study.name!r} lacks preset(s) {', '.join(missing)}")
    return add(STUDIES, "study", study.name, study, replace=replace)


def get_study(name: str) -> Study:
    """The registered study ``name``; ValueError lists the valid names."""
    return lookup(STUDIES, "study", name)
