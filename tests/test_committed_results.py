"""The committed results are what a newcomer reads first: they must read well.

Every report under docs/results (report.md, compare.md, studies.md) keeps its table cells
short (details live in findings.json and below the tables), and no committed text leaks
an internal field name, a Python ``None`` or an absolute path of the machine it ran on.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

RESULTS = Path(__file__).resolve().parents[1] / "docs" / "results"
REPORTS = sorted(p for pattern in ("*/report.md", "*/compare.md", "*/studies.md", "*.md")
                 for p in RESULTS.glob(pattern))
TEXTS = sorted([*REPORTS, *RESULTS.glob("*/findings.json")])
MAX_CELL = 250
#: An absolute path of the machine the results were taken on (home, temp, work dirs).
ABSOLUTE = re.compile(r"(?<![\w.])/(?:root|home|tmp|work|Users|var/folders)/")


def cells(markdown: str):
    """Every cell of every Markdown table row in ``markdown``."""
    for line in markdown.splitlines():
        if line.startswith("|") and not set(line) <= set("|-: "):
            yield from (c.strip() for c in line.strip().strip("|").split("|"))


def test_there_are_committed_reports():
    assert len(REPORTS) >= 3 and len(TEXTS) > len(REPORTS)


@pytest.mark.parametrize("path", REPORTS, ids=lambda p: str(p.relative_to(RESULTS)))
def test_no_table_cell_is_longer_than_a_short_sentence(path):
    long = [c for c in cells(path.read_text()) if len(c) > MAX_CELL]
    assert not long, f"{len(long)} cells over {MAX_CELL} characters, e.g. {long[0][:120]!r}"


@pytest.mark.parametrize("path", TEXTS, ids=lambda p: str(p.relative_to(RESULTS)))
def test_no_internal_names_none_or_absolute_paths(path):
    text = path.read_text()
    assert "axis_value" not in text
    assert not re.search(r"\bNone\b", text)
    assert not ABSOLUTE.search(text), ABSOLUTE.search(text)
