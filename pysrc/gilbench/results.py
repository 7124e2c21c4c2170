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

from gilbench.registry import NAME_RULE, is_name

SCHEMA = 1
RESULTS_NAME = "results.json"
REQUIRED_RUN_FIELDS = ("kernel", "flavour", "strategy", "workers", "size", "chunks", "wall_s",
                       "median_s", "cpu_s", "startup_s", "gil_availability", "verified")


#: Run fields that hold a registered name (None allowed for the optional ones): checked on
#: read, since a name becomes a file name, a table cell and HTML text.
NAME_FIELDS = ("kernel", "flavour", "strategy")
OPTIONAL_NAME_FIELDS = ("axis", "schedule", "start_method")
#: Run fields that hold a count >= 1 (they go into plot file names too).
COUNT_FIELDS = ("workers", "size", "chunks")
#: Settings that map names (kernels, flavours, strategies) to what was recorded of them.
NAMED_SETTINGS = ("flavours", "strategies", "kernel_summaries", "axis_reasons")

#: Run fields (besides kernel, flavour, strategy) that tell two runs of a sweep apart.
IDENTITY_FIELDS = ("workers", "size", "chunks", "schedule", "start_method", "axis",
                   "axis_value")
#: The fields an id spells ``name=value``; the axis point is spelled ``<axis>=<value>``.
_NAMED_FIELDS = IDENTITY_FIELDS[:-2]


def run_id(run: Mapping[str, Any]) -> str:
    """A run's stable id: ``kernel/flavour/strategy workers=2 size=256 chunks=4 ...``,
    ending ``granularity=96`` for the point of an axis (its name, then its value).

    Fields that are unset (None) are left out, so ids stay short for the plain sweep.
    """
    head = f"{run['kernel']}/{run['flavour']}/{run['strategy']}"
    parts = [f"{name}={run[name]}" for name in _NAMED_FIELDS if run.get(name) is not None]
    if run.get("axis") is not None:
        value = run.get("axis_value")
        parts.append(run["axis"] if value is None else f"{run['axis']}={value}")
    return f"{head} {' '.join(parts)}"


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
        if not isinstance(run, dict):
            raise ValueError(f"{where}: run {i} must be an object. Got {run!r} instead.")
        missing = [f for f in REQUIRED_RUN_FIELDS if f not in run]
        if missing:
            raise ValueError(f"{where}: run {i} lacks field(s) {', '.join(missing)}")
        check_run_names(run, f"{where}: run {i}")
    check_settings_names(doc.get("settings"), where)


def check_name(value: Any, what: str) -> None:
    """ValueError (one line: ``what``, the rule, the value as repr) unless ``value`` is a
    name registration would allow (:data:`gilbench.registry.NAME_PATTERN`)."""
    if not is_name(value):
        raise ValueError(f"{what} must be {NAME_RULE}. Got {value!r} instead.")


def check_run_names(run: Mapping[str, Any], where: str) -> None:
    """Check a run's names and counts: files from another machine are refused here, before
    a name reaches a file name or a report."""
    for name in NAME_FIELDS:
        check_name(run[name], f"{where} {name}")
    for name in OPTIONAL_NAME_FIELDS:
        if run.get(name) is not None:
            check_name(run[name], f"{where} {name}")
    for name in COUNT_FIELDS:
        value = run[name]
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{where} {name} must be an int >= 1. Got {value!r} instead.")


def check_settings_names(settings: Any, where: str) -> None:
    """Check the names under ``settings`` (the keys of :data:`NAMED_SETTINGS`, and the axis
    names in ``axis_reasons``)."""
    if settings is None:
        return
    if not isinstance(settings, dict):
        raise ValueError(f"{where}: 'settings' must be an object. Got {settings!r} instead.")
    for key in NAMED_SETTINGS:
        named = settings.get(key)
        if named is None:
            continue
        if not isinstance(named, dict):
            raise ValueError(f"{where}: settings.{key} must be an object. "
                             f"Got {named!r} instead.")
        for name, value in named.items():
            check_name(name, f"{where}: a name in settings.{key}")
            if key == "axis_reasons" and isinstance(value, dict):
                for axis in value:
                    check_name(axis, f"{where}: an axis in settings.axis_reasons[{name!r}]")
