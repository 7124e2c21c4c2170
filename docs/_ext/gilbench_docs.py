"""Sphinx extension for gilbench's site: the guide's figures and the advise switch.

- Before reading any page, writes docs/_generated/ from the committed results
  (tools/docs_figures.py), so no figure on the site can be older than what is committed.
- Pages outside docs/ are linked from docs/*.md by their GitHub path (``../CONTRIBUTING.md``);
  on the site those links lead to the page that includes the file.
- ``docs/_generated/reference/advise-api.md`` holds the autodoc of ``gilbench.advise`` and
  ``gilbench.testing`` where they exist (:func:`advise_available`, the one switch the
  doc tests share), and says they are not in this build otherwise.
"""

from __future__ import annotations

import importlib.util
import inspect
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parents[1]
ROOT = DOCS.parent

#: Why a page's advise examples do not run, while gilbench.advise is not in this build.
ADVISE_REASON = "needs gilbench advise (issue 16)"

#: Links from docs/ pages to files outside docs/, and the site's page for each.
OUTSIDE = {"../CONTRIBUTING.md": "/reference/contributing.md"}


def _advise_function():
    """``gilbench.advise`` as a function (None where this build has none)."""
    try:
        import gilbench

        advise = getattr(gilbench, "advise", None)
    except ImportError:
        return None
    if inspect.ismodule(advise):  # a module of that name: its function of that name
        advise = getattr(advise, "advise", None)
    return advise if callable(advise) else None


def advise_available() -> bool:
    """Whether ``gilbench.advise`` (the function) and ``gilbench.testing`` exist in this
    build: the one switch for every advise example (doc tests) and their API reference."""
    try:
        testing = importlib.util.find_spec("gilbench.testing") is not None
    except (ModuleNotFoundError, ValueError):
        return False
    return testing and _advise_function() is not None


def advise_api() -> str:
    """The autodoc of advise, the Advice it returns, and gilbench.testing (MyST)."""
    fn = _advise_function()
    lines = ["```{eval-rst}", f".. autofunction:: {fn.__module__}.{fn.__qualname__}", ""]
    returned = inspect.signature(fn).return_annotation
    if isinstance(returned, str):  # postponed annotations: resolve in advise's module
        returned = getattr(sys.modules[fn.__module__], returned, None)
    if inspect.isclass(returned):
        lines += [f".. autoclass:: {returned.__module__}.{returned.__qualname__}",
                  "   :members:", ""]
    lines += [".. automodule:: gilbench.testing",
              "   :members: gil_held_share, assert_releases_gil, assert_holds_gil, "
              "measure_gil, GilReading, GilNotEnabled", "```", ""]
    return "\n".join(lines)


ADVISE_MISSING = f"""\
```{{note}}
`gilbench.advise` and `gilbench.testing` are not in this build ({ADVISE_REASON}); their
reference appears here once they are.
```
"""


def generate(app) -> None:
    sys.path.insert(0, str(ROOT / "tools"))
    import docs_figures

    out = DOCS / "_generated"
    docs_figures.generate(out)
    api = out / "reference" / "advise-api.md"
    api.parent.mkdir(parents=True, exist_ok=True)
    api.write_text(advise_api() if advise_available() else ADVISE_MISSING)
    (out / "reference" / "results-toctree.md").write_text(results_toctree())


def results_toctree() -> str:
    """A toctree of every page committed under docs/results/ (reports, comparisons,
    studies), so whatever is committed there is on the site and nothing warns."""
    pages = sorted(p.relative_to(DOCS).with_suffix("").as_posix()
                   for p in (DOCS / "results").rglob("*.md"))
    return "```{toctree}\n:maxdepth: 1\n\n" + "".join(f"/{p}\n" for p in pages) + "```\n"


def outside_links(app, docname: str, source: list[str]) -> None:
    for target, page in OUTSIDE.items():
        source[0] = source[0].replace(f"]({target})", f"](project:{page})")


def setup(app):
    app.connect("builder-inited", generate)
    app.connect("source-read", outside_links)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
