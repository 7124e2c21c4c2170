"""Print the test files in which a pytest run skipped at least one test.

CI runs the suite first with only what the README installs, then installs the optional
extras and runs again only the files where something was skipped (their extra was
missing), instead of the whole suite a second time.

Usage: python tools/ci_skipped_files.py JUNIT.xml   (the first run's --junitxml file)
"""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from pathlib import Path


def skipped_files(junit: Path) -> list[str]:
    """The test files (``tests/test_x.py``) with a skipped test case in ``junit``."""
    files: dict[str, None] = {}
    for case in ET.parse(junit).iter("testcase"):
        if case.find("skipped") is None:
            continue
        # classname is the dotted module (and class): tests.test_x or tests.test_x.TestY;
        # a module skipped whole at collection has an empty classname and its name there.
        parts = (case.get("classname") or case.get("name", "")).split(".")
        for end in range(len(parts), 0, -1):
            path = Path(*parts[:end]).with_suffix(".py")
            if path.is_file():
                files[str(path)] = None
                break
    return list(files)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python tools/ci_skipped_files.py JUNIT.xml")
    print(" ".join(skipped_files(Path(sys.argv[1]))))
