"""Markdown written by users, turned into HTML that is safe to show.

Markdown passes raw HTML through, so its output is never trusted: nh3 (the Rust ``ammonia``
sanitiser) keeps only the tags and attributes below, drops ``<script>``/``<style>`` with their
content, removes every event handler and any URL whose scheme is not http, https or mailto
(``javascript:``, ``data:``, ``vbscript:``…), and marks links ``noopener noreferrer nofollow``.
SVG and MathML are not on the list, so ``<svg onload=…>`` and ``<svg><script>`` come out inert.
"""

from __future__ import annotations

import re

import markdown
import nh3

TOP_HEADING = re.compile(r"<(/?)h[12]>", re.IGNORECASE)
ALLOWED_TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "code",
    "dd",
    "del",
    "dl",
    "dt",
    "em",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "li",
    "ol",
    "p",
    "pre",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "th",
    "thead",
    "tr",
    "ul",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "td": {"align"},
    "th": {"align"},
}
URL_SCHEMES = {"http", "https", "mailto"}
LINK_REL = "noopener noreferrer nofollow"


def sanitise_html(html: str) -> str:
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel=LINK_REL,
        strip_comments=True,
    )


def render_markdown(text: str) -> str:
    """Markdown (with tables and fenced code) to sanitised HTML; empty text gives ''."""
    if not text or not text.strip():
        return ""
    html = markdown.markdown(text, extensions=["tables", "fenced_code", "sane_lists"])
    # The page's own headings are h1 and h2: a story's "# Heading" becomes an h3 below them.
    html = TOP_HEADING.sub(r"<\1h3>", html)
    return sanitise_html(html)
