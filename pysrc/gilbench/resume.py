"""Resuming an interrupted sweep (``gilbench run --resume DIR``): the finished runs are
kept, only the missing ones run, and only on the plan and the machine recorded.

A sweep records its plan (every run spec, in order) in ``settings["plan"]``. Resuming
reopens that ``results.json`` and appends to it; it never sets the folder's sweep aside.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from gilbench.harness import RunSpec
from gilbench.plan import Plan
from gilbench.profiles import PROFILES
from gilbench.results import RESULTS_NAME, load_results, run_id

#: Machine metadata that must be the same for runs to belong to one sweep. Measured
#: figures (the copy bandwidth) vary from one reading to the next and are left out.
MACHINE_KEYS = ("hostname", "cpu_model", "cpu_count", "affinity", "python",
                "python_implementation", "gil", "versions", "build", "compiler",
                "start_method", "git_commit")


class ResumeError(ValueError):
    """The sweep cannot be resumed: bad input, one line, exit code 2."""


@dataclass(frozen=True)
class Resumption:
    """A sweep to continue: its document as recorded, its plan, and what is left to run."""

    folder: Path
    #: The recorded document; resuming appends the new runs to it.
    document: dict[str, Any]
    plan: Plan
    remaining: list[RunSpec]
    #: Runs recorded when the sweep was opened (ok or failed): kept, not run again.
    finished: int

    @property
    def settings(self) -> Mapping[str, Any]:
        return self.document["settings"]


def plan_record(specs: Sequence[RunSpec]) -> list[dict[str, Any]]:
    """What a sweep records of its plan: every run spec, in order."""
    return [asdict(spec) for spec in specs]


def _normal(value: Any) -> Any:
    """``value`` as JSON gives it back (tuples become lists), for comparing."""
    return json.loads(json.dumps(value, default=str))


def _spec(record: Mapping[str, Any], where: str) -> RunSpec:
    known = {f.name for f in fields(RunSpec)}
    unknown = sorted(set(record) - known)
    if unknown:
        raise ResumeError(f"cannot resume {where}: its plan has run field(s) "
                          f"{', '.join(unknown)} this gilbench does not know")
    value = record.get("axis_value")
    return RunSpec(**{**record, "axis_value": tuple(value) if isinstance(value, list)
                      else value})


def _describe(ids: Sequence[str]) -> str:
    return f"{len(ids)}, e.g. {ids[0]}"


def open_sweep(folder: str | Path, *, plan: Plan | None = None,
               settings: Mapping[str, Any] | None = None,
               machine: Mapping[str, Any] | None = None) -> Resumption:
    """Check that the sweep in ``folder`` can go on here and say what is left to run.

    ``plan`` and ``settings`` (profile, repeats, seed...) are what the command line asked
    for, when it named sweep options: they must be the recorded ones. ``machine`` is this
    machine's metadata (collected when None). ResumeError (one line) says what differs.
    """
    from gilbench.machine import collect_machine_metadata

    folder = Path(folder)
    where = str(folder)
    if not (folder / RESULTS_NAME).is_file():
        raise ResumeError(f"cannot resume {where}: no {RESULTS_NAME} there")
    try:
        doc = load_results(folder)
    except ValueError as exc:
        raise ResumeError(f"cannot resume: {exc}") from None
    recorded_settings = doc.get("settings") or {}
    records = recorded_settings.get("plan")
    if not isinstance(records, list):
        raise ResumeError(f"cannot resume {where}: its {RESULTS_NAME} records no plan "
                          "(written by an older gilbench); start a new sweep")
    specs = [_spec(r, where) for r in records]
    ids = [run_id(asdict(s)) for s in specs]

    if plan is not None:
        asked = [run_id(asdict(s)) for s in plan.specs]
        asked_set, ids_set = set(asked), set(ids)
        missing = [i for i in ids if i not in asked_set]
        extra = [i for i in asked if i not in ids_set]
        if missing or extra:
            parts = ([f"recorded runs not in it: {_describe(missing)}"] if missing else []) + \
                    ([f"runs not recorded: {_describe(extra)}"] if extra else [])
            raise ResumeError(f"cannot resume {where}: the plan differs from the recorded "
                              f"one ({'; '.join(parts)})")
    for key, value in (settings or {}).items():
        if _normal(value) != _normal(recorded_settings.get(key)):
            raise ResumeError(f"cannot resume {where}: {key} {value!r} differs from the "
                              f"recorded {recorded_settings.get(key)!r}")

    here = _normal(machine if machine is not None else collect_machine_metadata())
    recorded_machine = doc.get("machine") or {}
    for key in MACHINE_KEYS:
        if here.get(key) != recorded_machine.get(key):
            raise ResumeError(f"cannot resume {where}: the machine differs from the recorded "
                              f"one ({key}: {recorded_machine.get(key)!r} recorded, "
                              f"{here.get(key)!r} here)")

    done = {run_id(r) for r in doc["runs"]}
    strays = sorted(done - set(ids))
    if strays:
        raise ResumeError(f"cannot resume {where}: {RESULTS_NAME} holds runs that are not in "
                          f"its plan ({_describe(strays)})")
    remaining = [s for s, i in zip(specs, ids, strict=True) if i not in done]
    for spec in remaining:
        try:  # what could run when the sweep started may not run here now
            spec.validate()
        except (ValueError, TypeError) as exc:
            raise ResumeError(f"cannot resume {where}: the plan differs from what can run "
                              f"here: {exc}") from None
    profile = PROFILES.get(recorded_settings.get("profile"))
    if profile is None:
        raise ResumeError(f"cannot resume {where}: unknown profile "
                          f"{recorded_settings.get('profile')!r}")
    return Resumption(folder, doc, Plan(profile, specs), remaining, len(doc["runs"]))


def mark_resumed(document: dict[str, Any]) -> None:
    """Record in the document's settings when the sweep was resumed."""
    document["settings"].setdefault("resumed", []).append(
        datetime.now(timezone.utc).isoformat(timespec="seconds"))


__all__ = ["MACHINE_KEYS", "ResumeError", "Resumption", "mark_resumed",
           "open_sweep", "plan_record"]
