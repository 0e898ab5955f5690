"""Reading pages the way a user (or a screen reader) does: text, headings, labels."""

from __future__ import annotations

import re
from html import unescape
from html.parser import HTMLParser


class PageParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.h1 = 0
        self.label_for: set[str] = set()
        self.controls: list[dict[str, str]] = []
        self.landmarks: set[str] = set()
        self._in_label = 0
        self.wrapped: list[dict[str, str]] = []

    def handle_starttag(self, tag: str, attrs) -> None:
        attributes = {name: value or "" for name, value in attrs}
        if tag == "h1":
            self.h1 += 1
        if tag in {"main", "nav", "header", "footer"}:
            self.landmarks.add(tag)
        if tag == "label":
            self._in_label += 1
            if attributes.get("for"):
                self.label_for.add(attributes["for"])
        if tag in {"input", "select", "textarea"}:
            if tag == "input" and attributes.get("type") in {"hidden", "submit", "button"}:
                return
            attributes["_tag"] = tag
            (self.wrapped if self._in_label else self.controls).append(attributes)

    def handle_endtag(self, tag: str) -> None:
        if tag == "label":
            self._in_label -= 1


def parse(response) -> PageParser:
    parser = PageParser()
    parser.feed(response.content.decode())
    return parser


def unlabelled_controls(response) -> list[str]:
    """Form controls a screen reader would announce without a name."""
    page = parse(response)
    return [
        control.get("name", control["_tag"])
        for control in page.controls
        if control.get("id") not in page.label_for
        and not control.get("aria-label")
        and not control.get("aria-labelledby")
    ]


def text(response) -> str:
    """The visible words of the page, whitespace collapsed."""
    html = response.content.decode()
    html = re.sub(r"<(script|style|title)\b.*?</\1>", " ", html, flags=re.S)
    # Inline tags join the words around them; block tags separate them.
    html = re.sub(r"</?(a|strong|em|b|i|abbr|code)\b[^>]*>", "", html)
    words = re.sub(r"<[^>]+>", " ", html)
    return re.sub(r"\s+", " ", unescape(words)).strip()


# Two English words in a row (three letters or more each): a sentence or a label left over.
ENGLISH_PHRASE = re.compile(r"\b[A-Za-z]{3,}(?:[ ,'’-]+[A-Za-z]{3,})+\b")
# Words that are the same in every language: the product's and the sources' names.
PROPER_NAMES = ("CityMatch", "GeoNames", "CC BY", "REST API", "API")


def english_left(page: str, user_data: list[str], english: str | None = None) -> list[str]:
    """Phrases of two English words or more outside the user data; with ``english``, only
    those the English page has too (Vietnamese words are often plain ASCII: "cho", "Quan")."""
    for name in sorted([*user_data, *PROPER_NAMES], key=len, reverse=True):
        page = page.replace(name, " ")
    phrases = ENGLISH_PHRASE.findall(page)
    return [phrase for phrase in phrases if english is None or phrase in english]
