"""Reports: Markdown (with PNG plots) rendered from a results document alone."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gilbench.analysis import analyse
from gilbench.report.markdown import render_markdown

__all__ = ["render_report"]


def render_report(doc: dict[str, Any], out_dir: str | Path, *, plots: bool = True) -> Path:
    """Write ``report.md`` (and one ``<kernel>.png`` per kernel) into ``out_dir``."""
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
    path = out / "report.md"
    path.write_text(render_markdown(analysis, doc, images))
    return path
