"""Reports: Markdown, self-contained HTML and PNG plots, from a results document alone."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gilbench.analysis import analyse
from gilbench.report.html import render_html
from gilbench.report.markdown import render_markdown

__all__ = ["render_report"]


def render_report(doc: dict[str, Any], out_dir: str | Path, *, plots: bool = True) -> Path:
    """Write ``report.md``, ``report.html`` and one ``<kernel>.png`` per kernel into
    ``out_dir``; returns the Markdown path."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    analysis = analyse(doc)
    images: dict[str, str] = {}
    if plots:
        from gilbench.report.plots import plot_kernel

        for ka in analysis.kernels:
            name = f"{ka.kernel}.png"
            plot_kernel(ka, out / name)
            images[ka.kernel] = name
    text = render_markdown(analysis, doc, images)
    path = out / "report.md"
    path.write_text(text)
    (out / "report.html").write_text(render_html(text, out))
    return path
