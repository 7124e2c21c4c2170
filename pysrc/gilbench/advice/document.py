"""The advice as a document: the :class:`Advice` value and its renderings, text for the
terminal, advice.json, advice.md, advice.html (with the plot of :mod:`.plot`). The
recommendation comes first everywhere; every string that comes from the user's code is
escaped in HTML and Markdown.
"""

from __future__ import annotations

import base64
import html
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from gilbench.advice.costs import StrategyCosts
from gilbench.advice.profile import Profile
from gilbench.advice.recommend import SCHEMA, Row
from gilbench.limits import format_bytes
from gilbench.report.markdown import fmt_time


@dataclass(frozen=True, kw_only=True)
class Advice:
    """What ``gilbench advise`` found for one function: see :func:`gilbench.advise`."""

    function: str
    calls: int
    workers: int
    cores: int
    verified_items: int
    profile: Profile
    costs: dict[str, StrategyCosts]
    rows: tuple[Row, ...]
    recommendation: Row
    why: str
    snippet: str
    released_speedup: float | None
    released: str | None
    notes: tuple[str, ...] = ()
    machine: dict[str, Any] = field(default_factory=dict)
    elapsed_s: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """The advice.json document (schema ``gilbench-advice/1``)."""
        rec = self.recommendation
        p = self.profile
        return {
            "schema": SCHEMA, "function": self.function, "calls": self.calls,
            "recommendation": {
                "strategy": rec.strategy, "workers": rec.workers, "chunksize": rec.chunksize,
                "speedup": rec.measured_speedup,
                "speedup_interval": [rec.measured_low, rec.measured_high],
                "display": rec.display, "start_method": rec.start_method,
                "why": self.why, "snippet": self.snippet},
            "profile": {
                "task_s": p.task_s, "task_interval_s": [p.task_low_s, p.task_high_s],
                "task_mean_s": p.task_mean_s, "gil_held_share": p.gil_held_share,
                "gil_method": p.gil_method, "gil_probe_share": p.gil_probe_share,
                "gil_thread_share": p.gil_thread_share, "cpu_share": p.cpu_share,
                "bytes_in": p.bytes_in, "bytes_out": p.bytes_out, "pickle_s": p.pickle_s,
                "picklable": p.pickle_problem is None, "pickle_problem": p.pickle_problem,
                "subinterpreters": p.subinterpreter_problem is None,
                "subinterpreter_problem": p.subinterpreter_problem,
                "deterministic": p.deterministic, "items": p.items, "sample": p.sample},
            "candidates": [
                {"strategy": r.strategy, "workers": r.workers, "chunksize": r.chunksize,
                 "display": r.display, "predicted_speedup": r.predicted_speedup,
                 "measured_speedup": r.measured_speedup,
                 "measured_interval": (None if r.measured_speedup is None
                                       else [r.measured_low, r.measured_high]),
                 "model_parts_s": r.parts, "startup_s": r.startup_s,
                 "start_method": r.start_method, "miss": r.miss, "check": r.check}
                for r in self.rows],
            "if_gil_released": {"speedup": self.released_speedup, "sentence": self.released},
            "costs": {name: asdict(c) for name, c in self.costs.items()},
            "verified_items": self.verified_items, "notes": list(self.notes),
            "machine": {**self.machine, "cores": self.cores, "workers": self.workers},
            "elapsed_s": self.elapsed_s,
        }

    def __str__(self) -> str:
        return text(self)

    def _repr_html_(self) -> str:
        """The summary table and the plot, for Jupyter (no script: escaped text only)."""
        return html_fragment(self)


PLOT_NAME = "advice.png"
FILES = ("advice.json", "advice.md", "advice.html", PLOT_NAME)


def _time(seconds: float) -> str:
    return fmt_time(seconds, micro_digits=1)


def _x(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}x"


def headline(a: Advice) -> str:
    """``ProcessPoolExecutor, 2 workers: 1.83x (1.78-1.88x) measured``."""
    r = a.recommendation
    if r.strategy == "serial":
        return f"leave it serial ({r.display}): no pool beat it"
    workers = f", {r.workers} workers" if r.workers > 1 else ""
    return (f"{r.display}{workers}: {_x(r.measured_speedup)} ({r.measured_low:.2f}-"
            f"{r.measured_high:.2f}x) measured")


def profile_line(a: Advice) -> str:
    """The profile in one line."""
    p = a.profile
    readings = []
    if p.gil_thread_share is not None:
        readings.append(f"two threads {p.gil_thread_share:.0%}")
    if p.gil_probe_share is not None:
        readings.append(f"probe {p.gil_probe_share:.0%}")
    pickles = (f"{format_bytes(p.bytes_in)} in, {format_bytes(p.bytes_out)} out pickled"
               if p.pickle_problem is None else "does not pickle")
    return (f"task {_time(p.task_s)} ({_time(p.task_low_s)} to {_time(p.task_high_s)}, "
            f"median of {p.sample} items), GIL held {p.gil_held_share:.0%} "
            f"({', '.join(readings) or p.gil_method}), {pickles}, results "
            f"{'repeat' if p.deterministic else 'differ from run to run'}")


def _table(a: Advice) -> tuple[list[str], list[list[str]]]:
    head = ["candidate", "id", "workers", "chunksize", "predicted", "measured", "note"]
    body = []
    for r in a.rows:
        measured = ("not run" if r.measured_speedup is None else
                    f"{r.measured_speedup:.2f}x ({r.measured_low:.2f}-{r.measured_high:.2f}x)")
        note = "; ".join(x for x in (f"missed by >25%: {r.miss}" if r.miss else None,
                                     r.check) if x)
        mark = " ◀" if r is a.recommendation else ""
        body.append([r.display + mark, r.strategy, str(r.workers), str(r.chunksize),
                     f"{r.predicted_speedup:.2f}x", measured, note])
    return head, body


def text(a: Advice) -> str:
    """What the terminal shows: the recommendation first, then why, the code, the
    counterfactual, the profile and the table."""
    lines = [f"Recommendation for {a.function}: {headline(a)}", f"Why: {a.why}", "Paste:"]
    lines += ["    " + line for line in a.snippet.splitlines()]
    if a.released:
        lines.append(a.released)
    lines.append(f"Profile: {profile_line(a)}")
    head, body = _table(a)
    widths = [max(len(row[i]) for row in [head, *body]) for i in range(len(head))]
    for row in [head, *body]:
        lines.append("  " + "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True))
                     .rstrip())
    lines += [f"Note: {n}" for n in a.notes]
    return "\n".join(lines)


def _md_cell(value: str) -> str:
    return value.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ").replace(
        "<", "&lt;").replace(">", "&gt;")


def markdown(a: Advice, plot: str | None = PLOT_NAME) -> str:
    """advice.md."""
    out = [f"# gilbench advise: `{_md_cell(a.function)}`", "",
           f"**Recommendation: {_md_cell(headline(a))}**", "", _md_cell(a.why), "",
           "```python", a.snippet, "```", ""]
    if a.released:
        out += [_md_cell(a.released), ""]
    out += [f"Profile: {_md_cell(profile_line(a))}.", "",
            f"{a.profile.items} items, {a.calls} call(s) of the whole batch, "
            f"{a.workers} workers on {a.cores} usable cores; verified on "
            f"{a.verified_items} items in {a.elapsed_s:.1f} s.", ""]
    head, body = _table(a)
    out += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    out += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in body]
    out.append("")
    if plot:
        out += [f"![predicted against measured speedup]({plot})", ""]
    out += [f"- {_md_cell(n)}" for n in a.notes]
    return "\n".join(out).rstrip() + "\n"


def _html_body(a: Advice, image: str | None) -> str:
    e = html.escape
    parts = [f"<h1>gilbench advise: <code>{e(a.function)}</code></h1>",
             f"<p><strong>Recommendation: {e(headline(a))}</strong></p>",
             f"<p>{e(a.why)}</p>", f"<pre><code>{e(a.snippet)}</code></pre>"]
    if a.released:
        parts.append(f"<p>{e(a.released)}</p>")
    parts.append(f"<p>Profile: {e(profile_line(a))}.</p>")
    head, body = _table(a)
    parts.append("<table><tr>" + "".join(f"<th>{e(h)}</th>" for h in head) + "</tr>"
                 + "".join("<tr>" + "".join(f"<td>{e(c)}</td>" for c in row) + "</tr>"
                           for row in body) + "</table>")
    if image:
        parts.append(f'<img alt="predicted against measured speedup" '
                     f'src="data:image/png;base64,{image}">')
    if a.notes:
        parts.append("<ul>" + "".join(f"<li>{e(n)}</li>" for n in a.notes) + "</ul>")
    return "\n".join(parts)


def html_page_of(a: Advice, png: bytes | None) -> str:
    """advice.html: the report's page (its Content-Security-Policy allows no script)."""
    from gilbench.report.html import html_page

    image = base64.b64encode(png).decode() if png else None
    return html_page(_html_body(a, image), f"gilbench advise: {a.function}")


def html_fragment(a: Advice) -> str:
    """The summary table and plot for a notebook (``Advice._repr_html_``)."""
    try:
        png = _plot(a)
    except Exception:  # noqa: BLE001 - no plot is better than no advice in a notebook
        png = None
    return _html_body(a, base64.b64encode(png).decode() if png else None)


def _plot(a: Advice) -> bytes:
    from gilbench.advice.plot import plot_png

    return plot_png(a.rows, a.function, a.workers, a.calls)


def write(a: Advice, out: Path, *, plots: bool = True) -> list[Path]:
    """advice.json, advice.md, advice.html (and advice.png) in ``out``."""
    from gilbench.results import write_atomic

    out.mkdir(parents=True, exist_ok=True)
    png = _plot(a) if plots else None
    paths = []
    if png:
        (out / PLOT_NAME).write_bytes(png)
        paths.append(out / PLOT_NAME)
    write_atomic(out / "advice.json", a.to_dict())
    (out / "advice.md").write_text(markdown(a, PLOT_NAME if png else None), encoding="utf-8")
    (out / "advice.html").write_text(html_page_of(a, png), encoding="utf-8")
    return [out / "advice.json", out / "advice.md", out / "advice.html", *paths]


# -- before and after ------------------------------------------------------------------
def pair_rows(advices: Sequence[Advice]) -> tuple[list[str], list[list[str]]]:
    """Side by side: GIL-held share, task time, best strategy and speedup."""
    head = ["", *(a.function for a in advices)]
    body = [["GIL held", *(f"{a.profile.gil_held_share:.0%}" for a in advices)],
            ["task", *(_time(a.profile.task_s) for a in advices)],
            ["recommended", *(a.recommendation.display for a in advices)],
            ["speedup", *(_x(a.recommendation.measured_speedup) for a in advices)],
            ["threads (measured)", *(_x(_thread(a)) for a in advices)]]
    return head, body


def _thread(a: Advice) -> float | None:
    return next((r.measured_speedup for r in a.rows
                 if r.strategy == "threads" and r.measured_speedup is not None), None)


def pair_text(advices: Sequence[Advice]) -> str:
    """The before/after table for the terminal."""
    head, body = pair_rows(advices)
    widths = [max(len(row[i]) for row in [head, *body]) for i in range(len(head))]
    return "\n".join("  " + "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True))
                     .rstrip() for row in [head, *body])


def pair_markdown(advices: Sequence[Advice], folders: Sequence[str]) -> str:
    """before-after.md: the side-by-side table and a link to each one's advice."""
    head, body = pair_rows(advices)
    out = ["# gilbench advise: before and after", "",
           "| " + " | ".join(_md_cell(h) for h in head) + " |", "|" + "---|" * len(head)]
    out += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in body]
    out += ["", *(f"- [{_md_cell(a.function)}]({f}/advice.md)"
                  for a, f in zip(advices, folders, strict=True))]
    return "\n".join(out) + "\n"


def pair_json(advices: Sequence[Advice]) -> dict[str, Any]:
    """before-after.json: each advice's document, in order."""
    return {"schema": "gilbench-advice-pair/1", "advice": [a.to_dict() for a in advices]}


def dumps(a: Advice) -> str:
    """advice.json's text."""
    return json.dumps(a.to_dict(), indent=1)


__all__ = ["FILES", "PLOT_NAME", "Advice", "dumps", "headline", "html_fragment", "html_page_of",
           "markdown", "pair_json", "pair_markdown", "pair_text", "profile_line",
           "text", "write"]
