"""Sphinx configuration of gilbench's documentation site (MyST Markdown, furo).

Build: ``sphinx-build -W --keep-going -n -b html docs docs/_build/html``. The guide's
figures are generated at build time from the committed results under ``docs/results/``
by ``tools/docs_figures.py`` (run by the ``gilbench_docs`` extension in ``docs/_ext/``),
so they cannot go stale.
"""

from __future__ import annotations

import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS / "_ext"))
sys.path.insert(0, str(DOCS.parent / "pysrc"))

project = "gilbench"
author = "gilbench developers"
copyright = "2026, gilbench developers"

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinxarg.ext",
    "gilbench_docs",
]

source_suffix = {".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "_generated", "_static"]
myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3

html_theme = "furo"
html_title = "gilbench"
# docs/_static/ holds only the screenshots the browser test takes (not part of the site).
html_static_path: list[str] = []

autodoc_member_order = "bysource"
autodoc_typehints = "description"
nitpicky = True

# The API's docstrings name standard-library and numpy types (no intersphinx: the build
# runs offline) and a few internals the API page does not document. Everything else an
# -n build cannot resolve is an error.
nitpick_ignore_regex = [
    ("py:class", r"(collections\.abc|numpy|typing)\..*"),
    ("py:class", r"(gilbench\.kernels\.base\.)?FlatRange"),
    ("py:class", r"gilbench\.(strategies\.base\.MapResult|harness\.ResolvedRun"
                 r"|harness\.ReferenceCache)"),
    ("py:func", r"output_part|write_outputs|resolve|gilbench\.strategies\.startmethod\.choose"
                r"|gilbench\.roles\.role_of|gilbench\.analysis\.run_id"),
    ("py:mod", r"gilbench\.(isolated|pytest_gil)"),
    ("py:class", r"pathlib\.Path|BadAdviseInput|gilbench\.gilprobe\.GilProbe"
                 r"|gilbench\.advice\.(recommend\.Row|profile\.Profile|costs\.StrategyCosts)"),
    ("py:func", r"gilbench\.advise"),
    ("py:attr", r"CAPABILITIES"),
]
