"""OpenMP is really enabled when the build was asked to require it."""

from __future__ import annotations

import os

import pytest

from gilbench import native
from gilbench._native import buildinfo

REQUIRED = os.environ.get("GILBENCH_REQUIRE_OPENMP", "").lower() in {"1", "true", "yes", "on"}


def test_extension_reports_its_build():
    info = native.build_info()
    assert info["built"] is True
    assert isinstance(info["cflags"], str) and info["cflags"]
    assert info["clib"] == "loaded"


@pytest.mark.skipif(not REQUIRED and not buildinfo.OPENMP,
                    reason="built without OpenMP and GILBENCH_REQUIRE_OPENMP is not set")
def test_openmp_runs_a_real_team():
    assert buildinfo.OPENMP, "GILBENCH_REQUIRE_OPENMP is set but the build has no OpenMP"
    assert buildinfo.OPENMP_SPEC >= 200805
    assert buildinfo.openmp_team_size(3) == 3
    assert "openmp" in buildinfo.CFLAGS.lower()


def test_ci_requires_openmp():
    """CI sets GILBENCH_REQUIRE_OPENMP=1; there a build without OpenMP must fail tests."""
    if os.environ.get("CI"):
        assert REQUIRED, ".ci/run must export GILBENCH_REQUIRE_OPENMP=1"
        assert buildinfo.OPENMP


def test_team_size_rejects_bad_input():
    with pytest.raises(ValueError):
        buildinfo.openmp_team_size(0)


def test_every_pyx_declares_freethreading_compatible():
    from pathlib import Path

    ext = Path(__file__).resolve().parents[1] / "ext"
    pyx = sorted(ext.glob("*.pyx"))
    assert pyx
    for path in pyx:
        head = path.read_text().splitlines()[0]
        assert "freethreading_compatible=True" in head, f"{path.name}: {head!r}"
