"""python-markdown with raw HTML off: a tag in the text is shown as text, and a URL that
could run something is dropped (reports are rendered from other machines' files)."""

from __future__ import annotations

import html
import re
from xml.etree.ElementTree import Element

from markdown import Markdown
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor

#: The schemes a link may keep (a URL without one is relative: a fragment or a file).
LINK_SCHEMES = ("http", "https", "mailto")
#: The only image URLs kept: the plots the HTML renderer inlined.
IMAGE_DATA = "data:image/png;base64,"
_SCHEME = re.compile(r"([a-z][a-z0-9+.-]*):")


def markdown_to_html(text: str) -> str:
    """``text`` (Markdown, tables included) as an HTML fragment with raw HTML off: a tag in
    the text is escaped, a link whose URL could run something (any scheme but http, https
    and mailto) loses it, and so does an image that is not an inlined PNG."""
    return Markdown(extensions=["tables", NoRawHtml()]).convert(text)


def safe_url(url: str, *, image: bool) -> bool:
    """Whether ``url`` may stay in an ``href`` (or, with ``image``, a ``src``)."""
    # Read it as a browser does: entities decoded, and the whitespace and control
    # characters it skips inside a scheme ("java\tscript:") removed.
    seen = "".join(c for c in html.unescape(url) if c > " " and c != "\x7f").lower()
    if image:  # the page's policy would block any other image anyway
        return seen.startswith(IMAGE_DATA)
    scheme = _SCHEME.match(seen)
    if scheme is None:
        return not seen.startswith("//")  # relative, not another host's
    return scheme.group(1) in LINK_SCHEMES


class SafeUrls(Treeprocessor):
    """Drop every URL that could run something, and any event-handler attribute."""

    def run(self, root: Element) -> None:
        for element in root.iter():
            for name, value in list(element.attrib.items()):
                unsafe_url = name in ("href", "src") and not safe_url(
                    value, image=element.tag == "img")
                if unsafe_url or name.lower().startswith("on"):
                    del element.attrib[name]


class NoRawHtml(Extension):
    """python-markdown's own recipe for escaping raw HTML (its ``safe_mode`` is gone):
    without the HTML block and inline processors, the serializer escapes every tag."""

    def extendMarkdown(self, md: Markdown) -> None:  # noqa: N802 - python-markdown's name
        md.preprocessors.deregister("html_block")
        md.inlinePatterns.deregister("html")
        # After every other tree processor (unescape is at 0): it sees the final URLs.
        md.treeprocessors.register(SafeUrls(md), "safe_urls", -10)
