"""Reports from someone else's files: a hostile string in any text field of a results file,
a findings file or pytest-benchmark JSON comes out of every HTML output as text, never as
markup; a file whose *names* break the rule registration follows is refused in one line.

What "no markup" means is checked by parsing each page: only the elements Markdown makes,
no ``on*`` attribute, no URL that could run something, and the Content-Security-Policy.
"""

from __future__ import annotations

import base64
import copy
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from gilbench.analysis import Figure, Finding, load_findings, write_findings
from gilbench.cli import main
from gilbench.compare import build_comparison, load_inputs
from gilbench.pytest_benchmark import from_results, load_document, to_results
from gilbench.registry import NAME_PATTERN, add
from gilbench.report import render_report
from gilbench.report.compare import render_comparison
from gilbench.report.html import CONTENT_SECURITY_POLICY, render_html
from gilbench.report.markdown import finding_lines, table_cell
from gilbench.results import load_results
from gilbench.studies import STUDIES, render_studies, write_result

COMMITTED = Path(__file__).resolve().parents[1] / "docs" / "results" / "2cpu-xeon-quick"

#: Names that registration refuses, so a file holding one is refused too.
BAD_NAMES = ["primes<script>alert(1)</script>", "../../etc/passwd", "a b", "x\ny", "",
             "-leading-dash", "x" * 65, 3, None]
#: Elements the Markdown renderer makes (and the page around it).
ALLOWED_ELEMENTS = {"html", "head", "meta", "title", "style", "body", "h1", "h2", "h3", "h4",
                    "h5", "h6", "p", "ul", "ol", "li", "table", "thead", "tbody", "tr", "th",
                    "td", "em", "strong", "code", "pre", "a", "img", "hr", "br",
                    "blockquote"}


def hostile(field: str) -> str:
    """A string that would run script if a page passed it through as HTML (and would split
    a table cell, link to script, and inline a file from elsewhere), marked with ``field``.
    """
    return (f"{field}<script>alert('{field}')</script><img src=x onerror=alert(2)> | "
            "`tick` [link](javascript:alert(3)) [l2](jav&#x61;script:alert(4)) "
            "![p](../secret.png) <div onclick=alert(5)>d</div>")


def escaped(field: str) -> str:
    """How :func:`hostile`'s ``field`` reads in the page's source when shown as text."""
    return f"{field}&lt;script&gt;alert('{field}')&lt;/script&gt;"


# -- what an inert page is --------------------------------------------------------------
class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))

    handle_startendtag = handle_starttag


def assert_inert(page: str) -> list[tuple[str, dict[str, str | None]]]:
    """Assert that ``page`` holds only the elements Markdown makes, no event handler, no URL
    that could run something or load from elsewhere, and the Content-Security-Policy;
    returns its elements."""
    parser = _Elements()
    parser.feed(page)
    parser.close()
    elements = parser.elements
    assert {tag for tag, _ in elements} <= ALLOWED_ELEMENTS, \
        {tag for tag, _ in elements} - ALLOWED_ELEMENTS
    for tag, attrs in elements:
        assert not [a for a in attrs if a.lower().startswith("on")], (tag, attrs)
        if tag == "img" and "src" in attrs:  # an image from elsewhere loses its src
            assert (attrs["src"] or "").startswith("data:image/png;base64,"), attrs
        if tag == "a" and attrs.get("href"):
            assert attrs["href"].split(":")[0] in ("http", "https", "mailto") \
                or ":" not in attrs["href"], attrs
    metas = [attrs for tag, attrs in elements if tag == "meta"]
    assert {"http-equiv": "Content-Security-Policy",
            "content": CONTENT_SECURITY_POLICY} in metas
    assert CONTENT_SECURITY_POLICY == \
        "default-src 'none'; img-src data:; style-src 'unsafe-inline'"
    lowered = page.lower()
    for tag in ("<script", "<img src=x", "<div", "<iframe", "<object", "<svg"):
        assert tag not in lowered, tag
    return elements


# -- hostile documents --------------------------------------------------------------------
#: Free-text machine fields a report may show.
MACHINE_TEXT = ("cpu_model", "hostname", "platform", "python", "python_implementation",
                "compiler", "start_method", "git_commit", "numba_threading_layer")


def hostile_results() -> dict[str, Any]:
    """The committed quick sweep with a hostile string in every free-text field: machine
    metadata, settings, a failed run's error and extra fields (names stay valid)."""
    doc = copy.deepcopy(load_results(COMMITTED))
    machine = doc["machine"]
    for key in MACHINE_TEXT:
        machine[key] = hostile(key)
    machine["versions"] = {**machine["versions"], "python": hostile("version"),
                           "numpy": hostile("numpy"), hostile("library"): "1.0"}
    machine["build"] = {**machine["build"], "cflags": hostile("cflags")}
    settings = doc["settings"]
    settings["profile"] = hostile("profile")
    settings["argv"] = [hostile("argv"), "--out", hostile("argv-out")]
    settings["kernel_summaries"] = {k: hostile(f"summary-{k}")
                                    for k in settings["kernel_summaries"]}
    settings["skipped"] = [hostile("skipped"), f"line\n{hostile('skipped-2')}"]
    settings["not_applicable"] = [hostile("not-applicable")]
    settings["axis_reasons"] = {k: dict.fromkeys(v, hostile("axis-reason"))
                                for k, v in settings["axis_reasons"].items()}
    doc["created"] = hostile("created")
    failed = doc["runs"][5]
    failed.update(status="failed", error=hostile("error"), median_s=None, wall_s=[])
    doc["runs"][6]["extra"] = {"note": hostile("extra")}
    doc["runs"][6]["note"] = hostile("note")
    return doc


#: Fields of :func:`hostile_results` that report.html shows (as text).
SHOWN_IN_REPORT = ("cpu_model", "platform", "python_implementation", "start_method",
                   "git_commit", "version", "numpy", "library", "cflags", "profile", "created",
                   "summary-mandelbrot", "skipped", "skipped-2", "error")


@pytest.fixture
def secret_png(tmp_path) -> bytes:
    """A PNG beside the output folder that no report may inline (``../secret.png``)."""
    data = b"\x89PNG\r\n\x1a\n-secret-"
    (tmp_path / "secret.png").write_bytes(data)
    return data


def test_a_results_file_with_hostile_text_renders_inert_html(tmp_path, secret_png):
    path = tmp_path / "results.json"
    path.write_text(json.dumps(hostile_results()))
    out = tmp_path / "report"
    assert main(["report", str(path), "--out", str(out), "--no-plots"]) == 0
    page = (out / "report.html").read_text()
    assert_inert(page)
    for field in SHOWN_IN_REPORT:
        assert escaped(field) in page, field
    assert base64.b64encode(secret_png).decode() not in page
    # The Markdown keeps the header table whole: a '|' in a CPU model is escaped.
    (cpu,) = [line for line in (out / "report.md").read_text().splitlines()
              if line.startswith("| CPU |")]
    assert len(re.split(r"(?<!\\)\|", cpu)) == 4 and "\\|" in cpu


def test_a_report_with_plots_keeps_them_and_stays_inert(tmp_path):
    render_report(hostile_results(), tmp_path, source="results.json")
    page = (tmp_path / "report.html").read_text()
    images = [attrs for tag, attrs in assert_inert(page) if tag == "img" and "src" in attrs]
    assert len(images) == len(list(tmp_path.glob("*.png"))) >= 8


@pytest.mark.parametrize("field", ["kernel", "flavour", "strategy", "axis", "schedule",
                                   "start_method"])
@pytest.mark.parametrize("bad", BAD_NAMES[:4], ids=["tag", "path", "space", "newline"])
def test_a_results_file_with_a_hostile_run_name_is_refused_in_one_line(field, bad, tmp_path,
                                                                        capsys):
    doc = load_results(COMMITTED)
    doc["runs"][2][field] = bad
    path = tmp_path / "results.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(ValueError) as info:
        load_results(path)
    assert str(path) in str(info.value) and f"run 2 {field}" in str(info.value)
    assert repr(bad) in str(info.value) and "\n" not in str(info.value)
    assert main(["report", str(path), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert repr(bad) in err and field in err and str(path) in err
    assert not (tmp_path / "out" / "report.html").exists()


@pytest.mark.parametrize("bad", BAD_NAMES, ids=[f"bad{i}" for i in range(len(BAD_NAMES))])
def test_every_name_registration_refuses_is_refused_in_a_file(bad, tmp_path):
    with pytest.raises(ValueError, match="letters, digits"):
        add({}, "kernel", bad, object(), replace=False)
    doc = load_results(COMMITTED)
    doc["runs"][0]["kernel"] = bad
    path = tmp_path / "results.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(ValueError, match="run 0 kernel must be 1 to 64 letters"):
        load_results(path)


@pytest.mark.parametrize("where", ["flavours", "strategies", "kernel_summaries",
                                   "axis_reasons", "axis"])
def test_a_hostile_name_under_settings_is_refused(where, tmp_path, capsys):
    doc = load_results(COMMITTED)
    bad = "x<script>alert(1)</script>"
    if where == "axis":
        doc["settings"]["axis_reasons"]["mandelbrot"][bad] = "why"
    else:
        doc["settings"][where][bad] = {}
    path = tmp_path / "results.json"
    path.write_text(json.dumps(doc))
    assert main(["report", str(path), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and repr(bad) in err and "settings" in err


def test_the_counts_that_go_into_file_names_must_be_counts(tmp_path):
    doc = load_results(COMMITTED)
    doc["runs"][1]["size"] = "../../x"
    path = tmp_path / "results.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(ValueError, match=r"run 1 size must be an int >= 1. Got '\.\./\.\./x'"):
        load_results(path)


def test_every_committed_name_follows_the_rule():
    for path in COMMITTED.parent.glob("*/results.json"):
        doc = load_results(path)  # validates
        assert all(NAME_PATTERN.fullmatch(r["kernel"]) for r in doc["runs"])


# -- compare ------------------------------------------------------------------------------
def test_compare_renders_hostile_text_inert_and_refuses_a_hostile_name(tmp_path, capsys):
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    first.write_text(json.dumps(load_results(COMMITTED)))
    other = hostile_results()
    other["machine"]["versions"]["python"] = hostile("version")  # becomes its label
    second.write_text(json.dumps(other))
    out = tmp_path / "cmp"
    render_comparison(build_comparison(load_inputs([first, second])), out, plots=False)
    page = (out / "compare.html").read_text()
    assert_inert(page)
    for field in ("version", "cpu_model", "created"):
        assert escaped(field) in page, field
    labelled = tmp_path / "labelled"
    assert main(["compare", str(first), str(second), "--label", "ok," + hostile("label"),
                 "--out", str(labelled), "--no-plots", "--quiet"]) == 0
    assert_inert((labelled / "compare.html").read_text())
    assert escaped("label") in (labelled / "compare.html").read_text()
    capsys.readouterr()

    other = load_results(COMMITTED)
    other["runs"][0]["strategy"] = "threads<img src=x onerror=alert(1)>"
    second.write_text(json.dumps(other))
    assert main(["compare", str(first), str(second), "--out", str(tmp_path / "no")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and str(second) in err
    assert "'threads<img src=x onerror=alert(1)>'" in err


# -- pytest-benchmark JSON ----------------------------------------------------------------
def hostile_pytest_benchmark() -> dict[str, Any]:
    """The committed sweep as pytest-benchmark JSON from CI, its own metadata hostile."""
    document, _ = from_results(load_results(COMMITTED))
    del document["machine_info"]["gilbench"]  # read pytest-benchmark's own fields
    document["machine_info"].update(
        node=hostile("node"), system=hostile("system"), release="6.1", machine="x86_64",
        python_version=hostile("pyversion"), python_implementation="CPython",
        cpu={"brand_raw": hostile("brand"), "count": 2})
    document["commit_info"] = {"id": "<script>alert(1)</script>", "branch": hostile("branch")}
    for bench in document["benchmarks"]:
        bench["name"] = bench["fullname"] = hostile("bench")
    return document


def test_pytest_benchmark_json_with_hostile_metadata_renders_inert(tmp_path):
    path = tmp_path / "ci.json"
    path.write_text(json.dumps(hostile_pytest_benchmark()))
    out = tmp_path / "report"
    assert main(["report", str(path), "--out", str(out), "--no-plots"]) == 0
    page = (out / "report.html").read_text()
    assert_inert(page)
    for field in ("system", "pyversion", "brand"):
        assert escaped(field) in page, field
    assert "&lt;script" in page  # the commit id, cut to 7 characters: shown as text


@pytest.mark.parametrize("field", ["kernel", "flavour", "strategy", "axis"])
def test_pytest_benchmark_json_with_a_hostile_name_is_refused(field, tmp_path, capsys):
    document = hostile_pytest_benchmark()
    document["benchmarks"][3]["extra_info"][field] = "x<script>alert(1)</script>"
    with pytest.raises(ValueError, match=f"extra_info {field} must be"):
        to_results(document)
    path = tmp_path / "ci.json"
    path.write_text(json.dumps(document))
    with pytest.raises(ValueError):
        load_document(path)
    assert main(["report", str(path), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert str(path) in err and "'x<script>alert(1)</script>'" in err


# -- findings -------------------------------------------------------------------------------
def hostile_finding(kernel: str = "mandelbrot") -> Finding:
    return Finding(kernel=kernel, kind="threads-vs-processes", sentence=hostile("sentence"),
                   runs=(hostile("run"),), verdict=hostile("verdict"),
                   figures=(Figure(hostile("figure"), hostile("value"), hostile("unit")),),
                   context=(("size", hostile("context")),), headline=True)


def test_findings_with_hostile_text_load_and_render_inert(tmp_path):
    write_findings(tmp_path / "findings.json", [hostile_finding()], {"results": "x"})
    (finding,) = load_findings(tmp_path)
    assert finding.sentence == hostile("sentence")
    lines = [f"- {line}" for line in finding_lines([finding])]
    lines += [f"| {table_cell(f.name)} | {table_cell(f.value)} | {table_cell(f.unit)} |"
              for f in finding.figures]
    page = render_html("\n".join(["| figure | value | unit |", "|---|---|---|", *lines[1:],
                                  "", lines[0]]), tmp_path)
    assert_inert(page)
    for field in ("sentence", "figure", "value", "unit"):
        assert escaped(field) in page, field


@pytest.mark.parametrize("field", ["kernel", "kind"])
def test_findings_with_a_hostile_name_are_refused(field, tmp_path):
    write_findings(tmp_path / "findings.json", [hostile_finding()], {"results": "x"})
    doc = json.loads((tmp_path / "findings.json").read_text())
    doc["findings"][0][field] = "x<script>alert(1)</script>"
    (tmp_path / "findings.json").write_text(json.dumps(doc))
    with pytest.raises(ValueError, match=f"finding 0 {field} must be .*"
                                         r"Got 'x<script>alert\(1\)</script>' instead"):
        load_findings(tmp_path)


# -- studies --------------------------------------------------------------------------------
def test_studies_with_a_hostile_machine_render_inert_and_hostile_names_are_refused(tmp_path):
    result = STUDIES["sync"].run("tiny", machine=hostile_results()["machine"])
    write_result(result, tmp_path)
    render_studies(tmp_path, plots=False)
    page = (tmp_path / "studies.html").read_text()
    assert_inert(page)
    for field in ("cpu_model", "platform", "cflags"):
        assert escaped(field) in page, field

    path = tmp_path / "sync.json"
    written = json.loads(path.read_text())
    for key in ("study", "preset"):
        doc = {**written, key: "sync<script>alert(1)</script>"}
        path.write_text(json.dumps(doc))
        with pytest.raises(ValueError, match=rf"'{key}' must be .* Got 'sync<script>"):
            render_studies(tmp_path, plots=False)
    path.write_text(json.dumps({**written, "study": "costs"}))  # a valid name, wrong file
    with pytest.raises(ValueError, match="holds the results of study 'costs', not 'sync'"):
        render_studies(tmp_path, plots=False)


# -- the renderer itself --------------------------------------------------------------------
@pytest.mark.parametrize("markdown", [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(2)>",
    "text <b onmouseover=alert(1)>bold</b> text",
    "[a](javascript:alert(1)) [b](JaVaScRiPt:alert(1)) [c](java\tscript:alert(1))",
    "[d](jav&#x61;script:alert(1)) [e](data:text/html,<script>alert(1)</script>)",
    "![f](javascript:alert(1)) ![g](http://example.com/x.png) ![h](/etc/x.png)",
    "<http://example.com/\"onmouseover=\"alert(1)>",
    "| a | b |\n|---|---|\n| <script>alert(1)</script> | <iframe src=x> |",
    "<!-- comment --><style>body{}</style><svg onload=alert(1)>",
    "```\n<script>alert(1)</script>\n```\n\n    <script>indented</script>",
])
def test_the_renderer_lets_no_markup_through(markdown, tmp_path):
    page = render_html(markdown, tmp_path)
    body = page.split("<body>", 1)[1]
    assert "<style" not in body  # the page's own style is in the head only
    assert_inert(page)


def test_links_that_cannot_run_anything_are_kept(tmp_path):
    page = render_html("[a](https://example.com/x) [b](#section) [c](notes.md)", tmp_path)
    hrefs = [attrs["href"] for tag, attrs in assert_inert(page) if tag == "a"]
    assert hrefs == ["https://example.com/x", "#section", "notes.md"]
