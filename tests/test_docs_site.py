"""The documentation site in a real browser: the decision page opens it with the rules of
thumb and links to every technique page and to advise; a technique page shows its
tables and its plots, decoded. Screenshots of both are kept under the test's tmp_path
(``GILBENCH_UPDATE_SCREENSHOTS=1`` also copies them to docs/_static/screenshots/).

The site is the one at ``GILBENCH_DOCS_HTML`` (CI builds it first), else it is built here
with ``sphinx-build -W --keep-going -n``. Skipped, saying why, without the [docs] extra or
without Chromium (CI sets ``GILBENCH_REQUIRE_CHROMIUM=1``, which makes that a failure).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.chromium import Chromium
from tests.test_browser import chromium  # noqa: F401  (the fixture)

ROOT = Path(__file__).resolve().parents[1]
SCREENSHOTS = ROOT / "docs" / "_static" / "screenshots"
GUIDE_PAGES = sorted(p.stem for p in (ROOT / "docs" / "guide").glob("*.md"))

FACTS = """
(async () => {
  const images = Array.from(document.images);
  await Promise.all(images.map(i => i.decode().catch(() => null)));
  const main = document.querySelector('article') || document.body;
  return {
    ready: document.readyState,
    h1: (main.querySelector('h1') || {}).textContent,
    tables: Array.from(main.querySelectorAll('table')).map(t => t.rows.length),
    links: Array.from(main.querySelectorAll('a[href]')).map(a => a.getAttribute('href')),
    images: Array.from(main.querySelectorAll('img')).map(i => ({
      src: i.getAttribute('src'), complete: i.complete, width: i.naturalWidth})),
    text: main.innerText.length,
  };
})()
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    prebuilt = os.environ.get("GILBENCH_DOCS_HTML")
    if prebuilt:
        return Path(prebuilt).resolve()
    pytest.importorskip("sphinx", reason="needs the [docs] extra (pip install -e '.[docs]')")
    pytest.importorskip("myst_parser", reason="needs the [docs] extra")
    out = tmp_path_factory.mktemp("site")
    done = subprocess.run([sys.executable, "-m", "sphinx", "-W", "--keep-going", "-n", "-q",
                           "-b", "html", str(ROOT / "docs"), str(out)],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return out


def _shot(browser: Chromium, session: str, path: Path) -> Path:
    shot = browser.screenshot(session, path)
    if os.environ.get("GILBENCH_UPDATE_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shot, SCREENSHOTS / path.name)
    return shot


def test_the_decision_page_and_a_technique_page_render_with_their_images(
        site, chromium, tmp_path):  # noqa: F811
    with Chromium(chromium, tmp_path / "profile") as browser:
        index = browser.open((site / "index.html").as_uri())
        home = browser.evaluate(index, FACTS)
        home_shot = _shot(browser, index, tmp_path / "index.png")
        page = browser.open((site / "guide" / "cython-nogil.html").as_uri())
        guide = browser.evaluate(page, FACTS)
        guide_shot = _shot(browser, page, tmp_path / "guide-cython-nogil.png")

    # The site opens on the decision page, with the rules-of-thumb table (a header row and
    # at least one rule), and one click leads to advise and to every technique page.
    assert home["ready"] == "complete"
    assert home["h1"].startswith("Threads, processes, or nogil?")
    assert home["tables"] and max(home["tables"]) >= 3
    linked = {h.split("#")[0] for h in home["links"]}
    assert {f"guide/{name}.html" for name in GUIDE_PAGES} <= linked, linked

    # A technique page: its measured tables and its plots, decoded and drawn.
    assert guide["h1"].startswith("Cython")
    assert len(guide["tables"]) >= 1 and guide["text"] > 3000
    assert guide["images"], "the page shows no plot"
    for image in guide["images"]:
        assert image["complete"] and image["width"] > 100, image
    for shot in (home_shot, guide_shot):
        assert shot.stat().st_size > 20_000
