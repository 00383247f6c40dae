"""Metadata read from the article itself: datelines, bylines, language, clean text."""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from urllib.parse import urlsplit

import ftfy

# "TOKYO (AP) —", "WASHINGTON, May 3 (Reuters) -", "(AFP) -", "PARIS, France (dpa) –"
DATELINE = re.compile(
    r"^(?P<place>[A-ZÀ-Ý][A-ZÀ-Ý .'’-]{1,40}(?:,\s*[A-Z][\w. ]{1,30})?)?\s*"
    r"(?:,\s*\w+\.? \d{1,2},?\s*)?"
    r"\((?P<agency>AP|Associated Press|Reuters|AFP|Kyodo|Kyodo News|dpa|DPA|Xinhua|UPI|EFE|ANSA"
    r"|Bloomberg|PA|Yonhap|Bernama|PTI|IANS|CNA|Anadolu|TASS|ANP|Belga|APA|AAP|CP|NTB|TT|Lusa)\)"
    r"\s*[—–-]{1,2}\s*"
)
AGENCIES = {
    "ap": "AP",
    "associated press": "AP",
    "reuters": "Reuters",
    "afp": "AFP",
    "kyodo": "Kyodo",
    "kyodo news": "Kyodo",
    "dpa": "dpa",
    "xinhua": "Xinhua",
    "upi": "UPI",
    "efe": "EFE",
    "ansa": "ANSA",
    "bloomberg": "Bloomberg",
    "pa": "PA",
    "yonhap": "Yonhap",
    "bernama": "Bernama",
    "pti": "PTI",
    "ians": "IANS",
    "cna": "CNA",
    "anadolu": "Anadolu",
    "tass": "TASS",
    "anp": "ANP",
    "belga": "Belga",
    "apa": "APA",
    "aap": "AAP",
    "cp": "CP",
    "ntb": "NTB",
    "tt": "TT",
    "lusa": "Lusa",
}
_AUTHOR_NOISE = re.compile(
    r"^(by|von|par|por|di)\s+|\s*[,|–-]\s*(?:[\w-]+\s+){0,3}(writer|reporter|correspondent|editor|"
    r"columnist|journalist|contributor|redakteur(?:in)?|autor(?:in)?|reporter(?:in)?)s?\b.*$",
    re.IGNORECASE,
)


# /2024/05/14/, /2024-05-14-, _20240514_ in a URL path: the article's own date
_URL_DATE = re.compile(
    r"(?<!\d)((?:19|20)\d{2})([/_.-]?)(0[1-9]|1[0-2])\2(0[1-9]|[12]\d|3[01])(?!\d)"
)


def date_from_url(url: str | None) -> date | None:
    """The publication date many news sites put in the article's URL path, if any.

    Only the path counts (a query's ``?date=`` is often a listing page's), and only
    full year-month-day dates, so a year or an id is never mistaken for a date.
    """
    if not url:
        return None
    path = urlsplit(url).path
    for m in _URL_DATE.finditer(path):
        try:
            return date(int(m.group(1)), int(m.group(3)), int(m.group(4)))
        except ValueError:
            continue
    return None


_TITLE_SEPARATORS = (" | ", " - ", " – ", " — ", " :: ", " » ", " · ", " / ")


def clean_title(
    title: str | None, sitename: str | None = None, url: str | None = None
) -> str | None:
    """The headline without the site's name that pages append to ``<title>``.

    "Rates on hold | Example News" -> "Rates on hold". The last segment goes when it
    names the site (its name or domain) or is short beside a longer headline; a title
    is never cut to fewer than three words.
    """
    if not title:
        return title
    title = " ".join(title.split())
    site_keys = set()
    for name in (sitename, urlsplit(url).hostname if url else None):
        if name:
            site_keys.update(_site_tokens(name))
    for sep in _TITLE_SEPARATORS:
        if sep not in title:
            continue
        head, tail = title.rsplit(sep, 1)
        if len(head.split()) < 3:
            continue
        tail_tokens = _site_tokens(tail)
        names_site = bool(tail_tokens) and tail_tokens <= site_keys | {
            "www",
            "de",
            "com",
            "net",
            "org",
        }
        if names_site or len(tail.split()) <= 3 < len(head.split()):
            return clean_title(head, sitename, url)
    return title


def _site_tokens(name: str) -> set[str]:
    return {t for t in re.split(r"[\W_]+", name.casefold()) if t}


# whitespace that the line step turns into a space or a line break
_ODD_SPACE = re.compile(r"[^\S \n]")


_BLANKS = re.compile(r"\n{3,}")


def normalise_text(text: str, *, keep_breaks: bool = False, _passes: int = 3) -> str:
    """Mojibake fixed, Unicode composed, spaces unified, one paragraph per line.

    ``keep_breaks``: a blank line between two lines stays (one), for the text-dump
    splitter (``chrome.split_lines``), which joins a hard-wrapped paragraph's lines
    back together but never across a blank line: without it every line of a dump
    was one paragraph's, and a list item opening in lower case (a Russian list, an
    item after a "READ MORE: ..." line) was glued onto the line above it.

    Idempotent, so a cleaned text cleans to itself: ftfy judges a text as a whole, and
    unifying odd whitespace (a form feed, a tab, U+00A0) can turn the bytes around it
    into mojibake ftfy would now fix ("á\x80\x0c" -> "á\x80 " -> "ဠ"), so such a text
    goes through again (rare: one pass for almost every text, at most three).

    Full-width characters stay as written (ftfy's ``fix_character_width`` is off): it
    turned Chinese and Japanese punctuation ("，", "；", "！") into ASCII, so the text
    was no longer the page's (quoted sentences no longer matched it).
    """
    fixed = ftfy.fix_text(text, uncurl_quotes=False, fix_character_width=False)
    fixed = unicodedata.normalize("NFC", fixed).replace("\r\n", "\n").replace("\r", "\n")
    lines = [" ".join(line.split()) for line in fixed.split("\n")]
    if keep_breaks:
        out = _BLANKS.sub("\n\n", "\n".join(lines)).strip("\n")
    else:
        out = "\n".join(line for line in lines if line)
    # a carriage return unified to a line break changes what ftfy sees too
    # ("\x80\r\x8cß" -> "€\nŒß", which it then reads as the mojibake of "Χ")
    if _passes > 1 and out != text and ("\r" in text or _ODD_SPACE.search(fixed)):
        return normalise_text(out, keep_breaks=keep_breaks, _passes=_passes - 1)
    return out


def dateline(text: str) -> tuple[str | None, str | None]:
    """(agency, place) from a dateline at the start of the first paragraphs."""
    for para in text.split("\n")[:3]:
        m = DATELINE.match(para)
        if m:
            agency = AGENCIES.get(m.group("agency").lower(), m.group("agency"))
            place = (m.group("place") or "").strip(" ,") or None
            return agency, place.title() if place else None
    return None, None


def agency_of(credit: str) -> str | None:
    """The agency in a caption credit such as "Kyodo" or "AP Photo/Eugene Hoshiko"."""
    head = re.split(r"[/ ]", credit.strip(), maxsplit=1)[0].lower()
    if credit.lower().startswith("ap photo"):
        return "AP"
    return AGENCIES.get(head)


def clean_authors(raw: list[str] | str | None) -> list[str]:
    """Authors without "By", job titles or duplicates, in order."""
    if not raw:
        return []
    items = raw if isinstance(raw, list) else re.split(r";|\band\b|&", raw)
    out: list[str] = []
    for item in items:
        for part in re.split(r";|\s+and\s+|\s*&\s*", item):
            name = _AUTHOR_NOISE.sub("", part.strip()).strip(" ,|")
            if name.isupper():
                name = name.title()  # "JOHN SMITH" from a shouting byline
            if name and len(name.split()) <= 5 and name not in out:
                out.append(name)
    return out


# py3langid walks its n-gram automaton byte by byte in Python: on 5,000 characters it was
# about a quarter of the clean stage's time (profile). On the ground-truth texts of the
# eval sets (9 languages) the first 1,000 characters give the whole text's language, for
# every one (tests/test_clean.py).
LANGID_CHARS = 1_000


def detect_language(text: str) -> str | None:
    """ISO 639-1 code from py3langid (a fast, offline n-gram classifier), from the
    text's first ``LANGID_CHARS`` characters."""
    import py3langid

    if not text.strip():
        return None
    lang, _score = py3langid.classify(text[:LANGID_CHARS])
    return lang
