"""Findings as data: one computed statement, the runs it rests on, its figures, its sentence.

A finding is a record first and a sentence second, so that the terminal, report.md,
report.html, plots and tests all read the same thing. ``findings.json`` (beside
``results.json``) holds them::

    {"schema": 1, "source": {...}, "findings": [{"kernel": ..., "kind": ..., ...}, ...]}
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

FINDINGS_NAME = "findings.json"
FINDINGS_SCHEMA = 1


@dataclass(frozen=True)
class Figure:
    """One number (or word) a finding rests on, with its unit ("x", "s", "GB/s", "")."""

    name: str
    value: Any
    unit: str = ""


@dataclass(frozen=True, kw_only=True)
class Finding:
    """One computed statement about a kernel.

    ``kind`` says what was compared (``threads-vs-processes``, ``gil-serialises``, ...);
    ``verdict`` is its one-word outcome where it has one (``win``, ``serialised``, ...);
    ``context`` names the slice of the sweep it describes (size, chunks, axis...);
    ``runs`` are the ids of the runs it rests on (see :func:`gilbench.analysis.run_id`);
    ``headline`` marks the findings the "At a glance" table shows.
    """

    kernel: str
    kind: str
    sentence: str
    runs: tuple[str, ...] = ()
    figures: tuple[Figure, ...] = ()
    verdict: str | None = None
    context: tuple[tuple[str, Any], ...] = ()
    headline: bool = False
    #: What explains the sentence, for the reader who wants it (below the report's tables
    #: and in findings.json): the sentence itself stays short enough for a table cell.
    detail: str = ""

    def figure(self, name: str, default: Any = None) -> Any:
        """The value of the figure called ``name`` (``default`` when there is none)."""
        for fig in self.figures:
            if fig.name == name:
                return fig.value
        return default

    def context_label(self) -> str:
        """``problem size 256, 4 chunks``: the context in words (empty when there is none)."""
        # The axis a finding reads is its kind's, and an unset value says nothing.
        words = {"size": "problem size {}", "chunks": "{} chunks", "workers": "{} workers",
                 "flavour": "{}", "axis_value": "at {}"}
        return ", ".join(words.get(k, f"{k} {{}}").format(v) for k, v in self.context
                         if v is not None and k != "axis")

    def to_dict(self) -> dict[str, Any]:
        return {
            "kernel": self.kernel, "kind": self.kind, "verdict": self.verdict,
            "headline": self.headline, "context": dict(self.context),
            "figures": {f.name: {"value": f.value, "unit": f.unit} for f in self.figures},
            "runs": list(self.runs), "sentence": self.sentence,
            **({"detail": self.detail} if self.detail else {}),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Finding:
        return cls(
            kernel=data["kernel"], kind=data["kind"], sentence=data["sentence"],
            runs=tuple(data.get("runs", ())),
            figures=tuple(Figure(name, f.get("value"), f.get("unit", ""))
                          for name, f in data.get("figures", {}).items()),
            verdict=data.get("verdict"), context=tuple(data.get("context", {}).items()),
            headline=bool(data.get("headline")), detail=data.get("detail", ""))


def findings_document(findings: Iterable[Finding], source: Mapping[str, Any]) -> dict[str, Any]:
    """The findings.json document; ``source`` says which results they were computed from."""
    return {"schema": FINDINGS_SCHEMA, "source": dict(source),
            "findings": [f.to_dict() for f in findings]}


def write_findings(path: str | os.PathLike[str], findings: Iterable[Finding],
                   source: Mapping[str, Any]) -> Path:
    """Write findings.json atomically (same guarantees as results.json)."""
    from gilbench.results import write_atomic

    path = Path(path)
    write_atomic(path, findings_document(findings, source))
    return path


def load_findings(path: str | os.PathLike[str]) -> list[Finding]:
    """Read findings.json (or the one inside a folder); ValueError says what is wrong."""
    p = Path(path)
    p = p / FINDINGS_NAME if p.is_dir() else p
    try:
        doc = json.loads(p.read_text())
    except FileNotFoundError:
        raise ValueError(f"no findings file at {str(p)!r}") from None
    except (OSError, json.JSONDecodeError) as exc:
        raise ValueError(f"cannot read findings file {str(p)!r}: {exc}") from None
    if not isinstance(doc, dict) or doc.get("schema") != FINDINGS_SCHEMA:
        raise ValueError(f"{p}: not a findings document of schema {FINDINGS_SCHEMA}")
    try:
        findings = [Finding.from_dict(f) for f in doc["findings"]]
    except (KeyError, TypeError, AttributeError) as exc:
        raise ValueError(f"{p}: malformed finding ({exc})") from None
    _check_names(findings, str(p))
    return findings


def _check_names(findings: Iterable[Finding], where: str) -> None:
    """A finding's kernel and kind are names (they pick sections); the rest, its verdict
    included ("processes only"), is free text, which every renderer escapes."""
    from gilbench.results import check_name

    for i, f in enumerate(findings):
        check_name(f.kernel, f"{where}: finding {i} kernel")
        check_name(f.kind, f"{where}: finding {i} kind")
