"""Put a committed report's rules of thumb into the README, between the markers

    <!-- rules-of-thumb: docs/results/FOLDER/report.md -->
    ...
    <!-- /rules-of-thumb -->

so that the table the README shows is, cell for cell, one that a committed report holds
(tests/test_readme.py checks it). Usage: python tools/readme_excerpt.py [README.md]
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MARKED = re.compile(r"(<!-- rules-of-thumb: (?P<source>\S+) -->\n)(?P<body>.*?)"
                    r"(<!-- /rules-of-thumb -->)", re.S)


def rules_table(report: str) -> str:
    """The rules-of-thumb table of a report.md (its header row to its last row)."""
    section = report.split("## Rules of thumb on this machine", 1)[1]
    lines = section.split("\n## ", 1)[0].splitlines()
    return "\n".join(line for line in lines if line.startswith("|")) + "\n"


def refresh(readme: Path) -> bool:
    """Rewrite ``readme``'s marked block from its source report; whether it changed."""
    text = readme.read_text()
    match = MARKED.search(text)
    if match is None:
        raise SystemExit(f"{readme}: no <!-- rules-of-thumb: REPORT --> block")
    table = rules_table((ROOT / match["source"]).read_text())
    new = text[:match.start("body")] + table + text[match.end("body"):]
    readme.write_text(new)
    return new != text


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "README.md"
    print(f"{target}: {'updated' if refresh(target) else 'already current'}")
