"""tools/manycore.sh: the one command that measures scaling beyond 2 cores; its plan is
checked here with --dry-run (this machine has too few cores to run it)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from gilbench.limits import usable_cores

SCRIPT = Path(__file__).resolve().parents[1] / "tools" / "manycore.sh"


def manycore(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHON": sys.executable}
    return subprocess.run(["bash", str(SCRIPT), *args], capture_output=True, text=True,
                          timeout=120, env=env)


def test_the_dry_run_plans_every_axis_up_to_the_cores_within_eight_minutes():
    done = manycore("--dry-run")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    cores = usable_cores()
    assert f"{cores}cpu-" in done.stderr  # where it would write
    for axis in ("workers", "granularity", "gil-fraction"):
        assert axis in out
    estimate = re.search(r"runs, about (?:(\d+) h )?(?:(\d+) min)? ?(?:(\d+) s)?", out)
    hours, minutes, seconds = (int(g or 0) for g in estimate.groups())
    assert 0 < hours * 3600 + minutes * 60 + seconds <= 8 * 60, estimate.group(0)


@pytest.mark.skipif(usable_cores() >= 8, reason="the refusal is for machines under 8 cores")
def test_it_refuses_to_measure_on_too_few_cores():
    done = manycore()
    assert done.returncode == 2
    assert "--force" in done.stderr and len(done.stderr.strip().splitlines()) == 1
