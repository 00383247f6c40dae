"""Line-level removal of page chrome from plain text.

Text dumps of web pages (and, less often, an extractor's output) keep the site's
breadcrumbs, widget labels, crawl dates, vote counters and the trailing lists of
unrelated headlines. These rules recognise those lines by their shape, not by any
one site's wording, and keep every article paragraph.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_BREADCRUMB = re.compile(
    r"^(current|you are here|location)\s*[:：]|\bhome\s*[>»›]|^[^.!?]{0,80}\s[>»›]\s[^.!?]{0,80}$",
    re.IGNORECASE,
)
_CRAWL_DATE = re.compile(
    r"^(date|time|posted|published|updated|crawled)\s*[:：]\s*\d{4}[-/.]\d{1,2}[-/.]\d{1,2}"
    r"([ T]\d{1,2}:\d{2}(:\d{2})?)?\s*$",
    re.IGNORECASE,
)
_COUNTER = re.compile(
    r"^[\w\s'’]{1,20}[!?]?\s*[(\[]\s*\d+\s*[)\]]$|^\d+\s+(comments?|views?|likes?|shares?)$", re.I
)
_WIDGET_WORDS = {
    "view",
    "views",
    "share",
    "share this",
    "share this article",
    "print",
    "email",
    "e-mail",
    "comments",
    "comment",
    "tweet",
    "like",
    "follow",
    "follow us",
    "subscribe",
    "advertisement",
    "advertising",
    "ad",
    "sponsored",
    "close",
    "menu",
    "login",
    "log in",
    "sign in",
    "sign up",
    "register",
    "search",
    "back to top",
    "top",
    "next",
    "previous",
    "more",
    "loading",
    "facebook",
    "twitter",
    "whatsapp",
    "linkedin",
    "copy link",
    "save",
    "listen",
    "subscribe to our newsletter",
    "sign up for our newsletter",
    "read more",
    "continue reading",
    "skip to content",
    "skip to main content",
    "accept",
    "accept all",
    "cookie settings",
}
_SECTION_HEADERS = re.compile(
    r"^(related( coverage| articles?| stories| news| posts| content| reading)?|ranking|rankings"
    r"|recommendations?|recommended( for you| stories| reading)?|read more|read also|more from .{1,40}"
    r"|more stories|more news|you may also like|you might also like|most popular|most read"
    r"|most viewed|trending( now)?|see also|latest news|latest stories|top stories"
    r"|editor'?s picks|popular|hot news|also read|further reading)\s*[:：]?$",
    re.IGNORECASE,
)
_LIST_ITEM = re.compile(r"^\s*([-•*·▪►]|\d{1,2}[.)])\s+")
_TAGS = re.compile(r"^(tags|topics|filed under|categories|keywords|more on)\s*[:：]", re.IGNORECASE)
_COPYRIGHT = re.compile(r"^(©|\(c\)|copyright\b|all rights reserved)", re.IGNORECASE)
_BYLINE = re.compile(
    r"^(?:[Bb]y|BY)\s+([A-Z][\w'’.-]+(?:\s+[A-Z][\w'’.-]+){0,3})(?:\s*(?:,|and|&|\|).*)?$"
)
_CAPTION_CREDIT = re.compile(
    r"\((Kyodo|AP Photo[^)]*|Reuters[^)]*|AFP[^)]*|Getty Images[^)]*|Xinhua[^)]*|EPA[^)]*"
    r"|Photo[^)]*|File photo[^)]*)\)\s*$"
)
_TERMINAL = re.compile(r"[.!?…:;\"”’)]$")


@dataclass
class Stripped:
    """What chrome stripping kept, and the hints it found on the way."""

    paragraphs: list[str]
    title: str | None = None
    authors: list[str] = field(default_factory=list)
    caption_credits: list[str] = field(default_factory=list)


def is_widget(line: str) -> bool:
    low = line.strip().lower().rstrip(":!.")
    return low in _WIDGET_WORDS or bool(_COUNTER.match(line.strip()))


def is_section_header(line: str) -> bool:
    return bool(_SECTION_HEADERS.match(line.strip()))


def _is_prose(line: str) -> bool:
    """A body paragraph: several words and ends like a sentence, or opens with a dateline."""
    from newsflow.clean.metadata import DATELINE

    if DATELINE.match(line):
        return True
    return len(line.split()) >= 8 and bool(_TERMINAL.search(line))


def split_lines(text: str) -> list[str]:
    """Non-empty lines, with hard-wrapped paragraph lines joined back together."""
    out: list[str] = []
    prev_blank = True
    for raw in text.split("\n"):
        line = " ".join(raw.split())
        if not line:
            prev_blank = True
            continue
        if (
            out
            and not prev_blank
            and not _TERMINAL.search(out[-1])
            and line[0].islower()
            and len(out[-1].split()) >= 6
        ):
            out[-1] = f"{out[-1]} {line}"
        else:
            out.append(line)
        prev_blank = False
    return out


def strip_chrome(text: str, *, title: str | None = None) -> Stripped:
    """Drop chrome lines from ``text`` and cut trailing headline lists.

    The first headline-like line before the body becomes the title when ``title`` is
    not known; repeats of the title are dropped.
    """
    lines = split_lines(text)
    result = Stripped(paragraphs=[], title=title)
    seen: set[str] = set()
    body_started = False
    in_list_block = False
    for line in lines:
        key = line.casefold()
        if _BREADCRUMB.search(line) and not _is_prose(line):
            continue
        if is_section_header(line):
            if body_started:
                break  # everything after "Related"/"Ranking"/... is other articles
            in_list_block = True
            continue
        if (
            _CRAWL_DATE.match(line)
            or is_widget(line)
            or _COPYRIGHT.match(line)
            or _TAGS.match(line)
        ):
            continue
        if _LIST_ITEM.match(line) and len(line.split()) <= 25:
            continue
        m = _BYLINE.match(line)
        if m and not body_started and len(line.split()) <= 12:
            result.authors.append(m.group(1))
            continue
        if result.title and key == result.title.casefold():
            continue
        if not body_started and not _is_prose(line):
            if in_list_block:
                continue
            if result.title is None and 3 <= len(line.split()) <= 30:
                result.title = line
            continue
        credit = _CAPTION_CREDIT.search(line)
        if credit and body_started and len(line.split()) <= 60:
            result.caption_credits.append(credit.group(1))
            continue
        if key in seen:
            continue
        seen.add(key)
        body_started = True
        in_list_block = False
        result.paragraphs.append(line)
    return result
