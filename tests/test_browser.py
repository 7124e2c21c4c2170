"""report.html in a real browser: headless Chromium renders it, every plot loads, and the
"At a glance" table is there. A screenshot is kept under the test's tmp_path. A report
rendered from a hostile results file runs no script: no dialog, no injected element.

Skipped, with the reason, where Chromium is not installed; CI installs Debian's
``chromium`` and sets ``GILBENCH_REQUIRE_CHROMIUM=1``, which turns the skip into a failure.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from gilbench.report import render_report
from gilbench.report.html import html_page
from gilbench.results import load_results
from tests.chromium import Chromium, find_chromium
from tests.test_hostile_input import escaped, hostile_results

COMMITTED = Path(__file__).resolve().parents[1] / "docs" / "results" / "2cpu-xeon-quick"

#: Everything the checks need, read from the rendered page (images decoded first).
PAGE_FACTS = """
(async () => {
  const images = Array.from(document.images);
  await Promise.all(images.map(i => i.decode().catch(() => null)));
  const heads = Array.from(document.querySelectorAll('h1, h2, h3'));
  const glance = heads.find(h => h.textContent.startsWith('At a glance'));
  let table = glance ? glance.nextElementSibling : null;
  while (table && table.tagName !== 'TABLE' && !/^H[1-3]$/.test(table.tagName)) {
    table = table.nextElementSibling;
  }
  const rows = table && table.tagName === 'TABLE' ? Array.from(table.rows) : [];
  return {
    ready: document.readyState,
    title: document.title,
    h1: heads.length ? heads[0].textContent : null,
    sections: heads.filter(h => h.tagName === 'H2').map(h => h.textContent),
    text: document.body.innerText.length,
    height: document.body.scrollHeight,
    images: images.map(i => ({alt: i.alt, complete: i.complete, width: i.naturalWidth,
                              height: i.naturalHeight, shown: i.getBoundingClientRect().width})),
    glance: rows.map(r => Array.from(r.cells).map(c => c.textContent.trim())),
  };
})()
"""


@pytest.fixture(scope="module")
def chromium() -> str:
    path = find_chromium()
    if path is None:
        reason = ("headless Chromium is not installed (Debian: apt-get install chromium); "
                  "CI installs it")
        if os.environ.get("GILBENCH_REQUIRE_CHROMIUM") == "1":
            pytest.fail(f"GILBENCH_REQUIRE_CHROMIUM=1 but {reason}")
        pytest.skip(reason)
    return path


def test_report_html_renders_in_chromium_with_every_plot_and_the_glance_table(chromium,
                                                                             tmp_path):
    doc = load_results(COMMITTED)
    out = tmp_path / "report"
    render_report(doc, out, source=str(COMMITTED / "results.json"))
    pngs = sorted(p.name for p in out.glob("*.png"))
    assert len(pngs) >= 8

    with Chromium(chromium, tmp_path / "profile") as browser:
        session = browser.open((out / "report.html").as_uri())
        facts = browser.evaluate(session, PAGE_FACTS)
        shot = browser.screenshot(session, tmp_path / "report-screenshot.png")

    # The page renders: parsed, laid out, with the report's headings and text.
    assert facts["ready"] == "complete"
    assert facts["title"] == "gilbench report" and facts["h1"] == "gilbench report"
    assert {"mandelbrot", "reduction", "python-objects"} <= set(facts["sections"])
    assert facts["text"] > 5000 and facts["height"] > 3000
    # Every plot image loads from the self-contained file (inlined, decoded, shown).
    images = facts["images"]
    assert len(images) == len(pngs)
    for image in images:
        assert image["complete"] and image["width"] > 0 and image["height"] > 0, image
        assert image["shown"] > 0, image
    # The "At a glance" table: a header and one row per kernel.
    header, *rows = facts["glance"]
    assert header[:2] == ["kernel", "verdict"]
    kernels = {run["kernel"] for run in doc["runs"]}
    assert {row[0] for row in rows} == kernels
    # The screenshot is a real picture of the page, not a blank one.
    import matplotlib.image

    pixels = matplotlib.image.imread(shot)
    assert pixels.shape[0] > 3000 and pixels.shape[1] >= 1280
    assert pixels.std() > 0.05


#: Run before any script of the page: dialogs are recorded instead of shown, so a page that
#: runs script is seen (and cannot block the test on an open dialog).
RECORD_DIALOGS = """
window.__dialogs = [];
for (const name of ['alert', 'confirm', 'prompt', 'print']) {
  window[name] = (...args) => { window.__dialogs.push(name + ' ' + String(args[0])); };
}
"""

#: What ran and what was made of the page: dialogs, scripts, event handlers, element names.
SCRIPT_FACTS = """
(() => {
  const all = Array.from(document.querySelectorAll('*'));
  return {
    dialogs: window.__dialogs,
    scripts: document.scripts.length,
    handlers: all.flatMap(e => Array.from(e.attributes)
      .filter(a => a.name.toLowerCase().startsWith('on')).map(a => e.tagName + ' ' + a.name)),
    tags: Array.from(new Set(all.map(e => e.tagName.toLowerCase()))).sort(),
    text: document.body.innerText,
  };
})()
"""


def open_recording_dialogs(browser: Chromium, url: str) -> tuple[str, list[dict]]:
    """Open ``url`` in a new tab with :data:`RECORD_DIALOGS` installed first; returns the
    session and the dialogs Chromium itself reported opening (none expected)."""
    target = browser.send("Target.createTarget", {"url": "about:blank"})["targetId"]
    session = browser.send("Target.attachToTarget",
                           {"targetId": target, "flatten": True})["sessionId"]
    browser.send("Page.enable", session=session)
    browser.send("Page.addScriptToEvaluateOnNewDocument", {"source": RECORD_DIALOGS},
                 session=session)
    browser.send("Page.navigate", {"url": url}, session=session)
    browser.wait_event("Page.loadEventFired", session)
    opened = [e for e in browser.events if e.get("method") == "Page.javascriptDialogOpening"]
    return session, opened


def test_a_report_from_a_hostile_results_file_runs_no_script_in_chromium(chromium, tmp_path):
    out = tmp_path / "report"
    render_report(hostile_results(), out, plots=False, source="results.json")
    # The check itself: a page that runs script is seen, and the policy alone stops it.
    injected = "<script>alert(1)</script><img src=x onerror=alert(2)>"
    unsafe = tmp_path / "unsafe.html"
    unsafe.write_text(f"<!DOCTYPE html><html><body>{injected}</body></html>")
    guarded = tmp_path / "guarded.html"
    guarded.write_text(html_page(injected, "guarded"))

    with Chromium(chromium, tmp_path / "profile") as browser:
        session, _ = open_recording_dialogs(browser, unsafe.as_uri())
        assert sorted(browser.evaluate(session, SCRIPT_FACTS)["dialogs"]) == \
            ["alert 1", "alert 2"]
        session, opened = open_recording_dialogs(browser, guarded.as_uri())
        assert browser.evaluate(session, SCRIPT_FACTS)["dialogs"] == [] and not opened
        session, opened = open_recording_dialogs(browser, (out / "report.html").as_uri())
        facts = browser.evaluate(session, SCRIPT_FACTS)

    assert facts["dialogs"] == [] and not opened
    assert facts["scripts"] == 0 and facts["handlers"] == []
    assert not {"script", "iframe", "object", "embed", "svg", "div"} & set(facts["tags"])
    # The hostile strings are on the page, as text.
    assert "cpu_model<script>alert('cpu_model')</script>" in facts["text"]
    assert escaped("cpu_model") in (out / "report.html").read_text()
