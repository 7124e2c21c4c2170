"""Self-contained HTML: the Markdown report rendered with raw HTML off, its plots embedded
inline, under a Content-Security-Policy that allows no script.

Reports are rendered from files that may come from another machine (a shared results.json,
pytest-benchmark JSON from CI), so nothing in the text may become markup: tags in the
Markdown come out as text, links and images keep only URLs that cannot run anything, and
the page's policy would stop a script even if one got through.
"""

from __future__ import annotations

import base64
import html
import re
from pathlib import Path

#: No script, no fetch, no frame: only the page's inline styles and ``data:`` images.
CONTENT_SECURITY_POLICY = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"

STYLE = """
body { font-family: system-ui, sans-serif; max-width: 1200px; margin: 2em auto;
       padding: 0 1em; line-height: 1.45; color: #222; }
table { border-collapse: collapse; margin: 1em 0; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: left; }
th { background: #f3f3f3; }
tr:nth-child(even) td { background: #fafafa; }
img { max-width: 100%; }
code { background: #f3f3f3; padding: 0 0.2em; }
h2 { border-bottom: 1px solid #ddd; padding-bottom: 0.2em; margin-top: 2em; }
"""

#: A plot the renderer inlines: a plain file name in the report's folder (no path, so a
#: sentence from a hostile file cannot name a file elsewhere on this machine).
_IMAGE = re.compile(r"!\[([^\]]*)\]\(([A-Za-z0-9][A-Za-z0-9._-]*\.png)\)")


def html_page(body: str, title: str) -> str:
    """A whole HTML document around ``body`` (HTML already safe, as
    :func:`~gilbench.report.safe_markdown.markdown_to_html` makes it): the title escaped,
    the style, and the Content-Security-Policy (:data:`CONTENT_SECURITY_POLICY`). Every
    HTML file gilbench writes is one of these."""
    return (f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<meta http-equiv=\"Content-Security-Policy\" "
            f"content=\"{CONTENT_SECURITY_POLICY}\">"
            f"<title>{html.escape(title)}</title><style>{STYLE}</style></head>\n"
            f"<body>\n{body}\n</body></html>\n")


def render_html(markdown_text: str, image_dir: Path, title: str = "gilbench report") -> str:
    """HTML for ``markdown_text``; ``![..](name.png)`` images from ``image_dir`` are inlined
    as data URIs, so the file can be mailed or attached on its own."""

    def inline(match: re.Match) -> str:
        alt, name = match.group(1), match.group(2)
        path = image_dir / name
        if not path.is_file():
            return match.group(0)
        data = base64.b64encode(path.read_bytes()).decode()
        return f"![{alt}](data:image/png;base64,{data})"

    from gilbench.report.safe_markdown import markdown_to_html

    return html_page(markdown_to_html(_IMAGE.sub(inline, markdown_text)), title)
