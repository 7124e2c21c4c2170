"""The results store: one JSON document per sweep, rewritten atomically after every run.

Stable schema (other tools read it): top level ``schema`` (int), ``machine`` (dict),
``runs`` (list); each run has at least ``kernel``, ``flavour``, ``strategy``, ``workers``,
``size``, ``chunks``, ``wall_s`` (one float per repeat), ``median_s``, ``cpu_s``,
``startup_s`` (null where none), ``gil_availability`` (0..1 or null) and ``verified``.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Protocol

SCHEMA = 1
RESULTS_NAME = "results.json"
REQUIRED_RUN_FIELDS = ("kernel", "flavour", "strategy", "workers", "size", "chunks", "wall_s",
                       "median_s", "cpu_s", "startup_s", "gil_availability", "verified")


#: Run fields (besides kernel, flavour, strategy) that tell two runs of a sweep apart.
IDENTITY_FIELDS = ("workers", "size", "chunks", "schedule", "start_method", "axis",
                   "axis_value")


def run_id(run: Mapping[str, Any]) -> str:
    """A run's stable id: ``kernel/flavour/strategy workers=2 size=256 chunks=4 ...``.

    Fields that are unset (None) are left out, so ids stay short for the plain sweep.
    """
    head = f"{run['kernel']}/{run['flavour']}/{run['strategy']}"
    tail = " ".join(f"{name}={run[name]}" for name in IDENTITY_FIELDS
                    if run.get(name) is not None)
    return f"{head} {tail}"


class RunRecord(Protocol):
    """What the store records: a run that gives its results.json entry (a Measurement)."""

    def to_dict(self) -> dict[str, Any]: ...


def _jsonable(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None  # JSON has no NaN/inf; null reads as "not measured"
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


def write_atomic(path: Path, document: dict[str, Any]) -> None:
    """Write JSON to ``path`` so a reader (or a crash) never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as fh:
            json.dump(_jsonable(document), fh, indent=1)
            fh.write("\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class ResultsStore:
    """Accumulates runs of a sweep and persists them after each one."""

    def __init__(self, path: Path, machine: dict[str, Any], settings: dict[str, Any]) -> None:
        self.path = Path(path)
        self.document: dict[str, Any] = {
            "schema": SCHEMA,
            "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "settings": settings,
            "machine": machine,
            "runs": [],
        }
        self.flush()

    @classmethod
    def reopen(cls, path: Path, document: dict[str, Any]) -> ResultsStore:
        """Continue a sweep's recorded ``document`` (resuming): new runs are appended."""
        store = cls.__new__(cls)
        store.path = Path(path)
        store.document = document
        store.flush()
        return store

    def add(self, run: RunRecord) -> None:
        """Record one run (ok or failed) and rewrite the file."""
        self.document["runs"].append(run.to_dict())
        self.flush()

    def flush(self) -> None:
        write_atomic(self.path, self.document)


def resolve(path: str | os.PathLike[str]) -> Path:
    """A results file, or the results.json inside a folder."""
    p = Path(path)
    return p / RESULTS_NAME if p.is_dir() else p


def read_json(path: str | os.PathLike[str]) -> tuple[Path, Any]:
    """(the file, its JSON) for a results file or folder; ValueError says what is wrong."""
    p = resolve(path)
    try:
        return p, json.loads(p.read_text())
    except FileNotFoundError:
        raise ValueError(f"no results file at {str(p)!r}") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"cannot read results file {str(p)!r}: {exc}") from None


def load_results(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read and validate a results file (or folder); ValueError says what is wrong."""
    p, doc = read_json(path)
    validate(doc, str(p))
    return doc


def validate(doc: Any, where: str = "results") -> None:
    """Raise ValueError naming the first schema violation."""
    if not isinstance(doc, dict):
        raise ValueError(f"{where}: expected a JSON object at the top level")
    if doc.get("schema") != SCHEMA:
        raise ValueError(f"{where}: unsupported schema {doc.get('schema')!r} "
                         f"(this gilbench reads schema {SCHEMA})")
    if not isinstance(doc.get("machine"), dict) or not isinstance(doc.get("runs"), list):
        raise ValueError(f"{where}: 'machine' must be an object and 'runs' a list")
    for i, run in enumerate(doc["runs"]):
        missing = [f for f in REQUIRED_RUN_FIELDS if f not in run]
        if missing:
            raise ValueError(f"{where}: run {i} lacks field(s) {', '.join(missing)}")
