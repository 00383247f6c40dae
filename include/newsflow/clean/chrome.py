"""Line-level removal of page chrome from plain text.

Text dumps of web pages (and, less often, an extractor's output) keep the site's
breadcrumbs, widget labels, crawl dates, vote counters and the trailing lists of
unrelated headlines. These rules recognise those lines by their shape, not by any
one site's wording, and keep every article paragraph.

``strip_chrome`` is for text dumps (no structure to trust: the article is found by
its prose); ``strip_page_chrome`` is the gentler pass over an HTML extractor's
output. Both share the multilingual heading, teaser and call-to-action rules, which
were written against the "tune" split of ``benchmarks/extraction.py``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from newsflow.clean.linemodel import (
    chrome_probabilities,
    model_cuts,
    page_frame,
    prose_line,
    runs,
)
from newsflow.clean.words import count_words, unpunctuated_script

if TYPE_CHECKING:
    from newsflow.clean.repeats import LineCounts, LineEvidence

_BREADCRUMB = re.compile(
    r"^(current|you are here|location)\s*[:：]|\bhome\s*[>»›]|^[^.!?]{0,80}\s[>»›]\s[^.!?]{0,80}$",
    re.IGNORECASE,
)
_CRAWL_DATE = re.compile(
    r"^(date|time|posted|published|updated|crawled)\s*[:：]\s*\d{4}[-/.]\d{1,2}[-/.]\d{1,2}"
    r"([ T]\d{1,2}:\d{2}(:\d{2})?)?\s*$",
    re.IGNORECASE,
)
# A line that opens with a machine date and time and says nothing that ends like a
# sentence ("2024-03-02 10:11:12 Source: Xinhua Editor: Li Ming"): a CMS's stamp row.
# Its words ("Source", "Editor") are those of credit lines AEB counts as body, so the
# line model alone does not drop it reliably (round 7's model kept it).
_MACHINE_STAMP = re.compile(
    r"^\d{4}[-/.]\d{1,2}[-/.]\d{1,2}[ T]\d{1,2}:\d{2}(:\d{2})?\b[^.!?]{0,80}$"
)
# A line that is a date written out, with its year and a time, and nothing else ("22
# mayo 2020, 21:41", "May 13, 2017 at 4:11 pm"): a page's time stamp in any language
# that writes its month as a word between the day and the year, or before the day. A
# time alone ("4:14 p.m.") is a live blog's entry, and stays.
_DATE_STAMP = re.compile(
    r"^(?:\d{1,2}\.?\s+[^\W\d]{3,12}\.?|[^\W\d]{3,12}\.?\s+\d{1,2},?)\s+\d{4},?"
    r"\s+(?:at\s+|um\s+|à\s+|a las\s+)?\d{1,2}[:.h]\d{2}(?::\d{2})?"
    r"(?:\s*[ap]\.?m\.?)?(?:\s+(?:Uhr|[A-Z]{2,5}))?$",
    re.IGNORECASE,
)
_COUNTER = re.compile(
    r"^[\w\s'’]{1,20}[!?]?\s*[(\[]\s*\d+\s*[)\]]$|^\d+\s+(comments?|views?|likes?|shares?)$"
    # a labelled count ("View:1523", "Aufrufe: 1.204"): a page's counter in any of
    # these languages, never a sentence
    r"|^(views?|reads?|hits|visits?|comments?|likes?|shares?|aufrufe|kommentare|visitas"
    r"|lecturas|comentarios|vues|lectures|commentaires|visualizzazioni|commenti)"
    r"\s*[:：]\s*\d[\d.,\s]*$",
    re.I,
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
    "like this",
    "like loading",
    "loading...",
    "teilen",
    "drucken",
    "compartir",
    "partager",
    "imprimir",
    "imprimer",
}
_SECTION_HEADERS = re.compile(
    r"^(related( coverage| articles?| stories| news| posts| content| reading)?|ranking|rankings"
    r"|recommendations?|recommended( for you| stories| reading)?|more from .{1,40}"
    r"|more stories|more news|you may also like|you might also like|most popular|most read"
    r"|most viewed|trending( now)?|latest news|latest stories|top stories"
    r"|editor'?s picks|popular|hot news|further reading)\s*[:：]?$",
    re.IGNORECASE,
)
_LIST_ITEM = re.compile(r"^\s*([-•*·▪►]|\d{1,2}[.)])\s+")
_TAGS = re.compile(r"^(tags|topics|filed under|categories|keywords|more on)\s*[:：]", re.IGNORECASE)
_COPYRIGHT = re.compile(r"^(©|\(c\)|copyright\b|all rights reserved)", re.IGNORECASE)
_BYLINE = re.compile(
    r"^(?:[Bb]y|BY)\s+([A-Z][\w'’.-]+(?:\s+[A-Z][\w'’.-]+){0,3})(?:\s*(?:,|and|&|\|).*)?$"
)
_CAPTION_CREDIT = re.compile(
    r"\((Kyodo|AP Photo[^()]*|Reuters[^()]*|AFP[^()]*|Getty Images[^()]*|Xinhua[^()]*|EPA[^()]*"
    r"|Photo[^()]*|File photo[^()]*)\)\s*$"
)
# Multilingual rules shared by text dumps and extractor output.
# Headings after which a page lists other articles, comments or the site's own links.
_RELATED_HEADER = re.compile(
    r"^(?:"
    # English
    r"related(?: coverage| articles?| stories| news| posts| content| reading| links| topics)?"
    r"|more (?:from|on|about) .{1,40}|more (?:stories|news|articles)"
    r"|you (?:may|might) (?:also )?(?:like|enjoy|be interested in)"
    r"|most (?:popular|read|viewed|shared)(?: in .{1,30})?|trending(?: now| stories)?"
    r"|recommended(?: for you| stories| reading| articles)?|further reading"
    r"|latest (?:news|stories|articles|posts)|top stories|editor'?s picks|popular (?:posts|stories)"
    r"|(?:leave a |post a )?(?:comments?|reply)|join the (?:discussion|conversation)"
    r"|explore further|popular on .{1,30}"
    # German
    r"|weitere (?:artikel|beiträge|nachrichten|themen|meldungen|tourentipps)(?: .{1,40})?"
    r"|mehr (?:zum thema|aus .{1,40}|news)|das könnte (?:sie|dich) (?:auch )?interessieren"
    r"|auch interessant|zum weiterlesen|passend(?: dazu| zum thema)"
    r"|(?:verwandte|ähnliche) (?:artikel|themen|beiträge)|beiträge aus dem forum|kommentare?"
    r"|meistgelesen(?:e)?(?: artikel)?|top-?artikel|kommentierte artikel|empfehlungen"
    r"|empfohlene (?:beiträge|artikel)|mehr themen|top-?themen(?: .{1,30})?"
    r"|(?:das thema|diese themen) könnte(?:n)? (?:sie|dich) (?:auch )?interessieren"
    # Spanish / Portuguese
    r"|(?:notas|noticias|artículos|articulos|contenido) relacionad[oa]s?|relacionad[oa]s"
    r"|(?:te|le) puede interesar"
    r"|también te puede interesar|más (?:noticias|leídas|sobre .{1,40})"
    r"|lo más (?:leído|visto)|mais lidas|notícias relacionadas"
    # French / Italian / Dutch / Polish
    r"|sur le même sujet|articles similaires|les plus lus"
    r"|articoli correlati|potrebbe interessarti|più letti|meer over .{1,40}"
    r"|gerelateerde artikelen|najczęściej czytane|podobne artykuły"
    r")\s*(?:\.\.\.|…|[:：!])?$",
    re.IGNORECASE,
)
# Headings of a teaser box inside the article: the headlines under them go, the text resumes.
_TEASER_HEADER = re.compile(
    r"^(?:don'?t miss|must read|(?:also )?read(?: more| also| next)?|see also|also on .{1,30}"
    r"|share this(?: article| story| post)?|lesen sie (?:auch|mehr)|weiterlesen|mehr (?:dazu|lesen)"
    r"|weitere informationen|kontakt|newsletter|lee también|leer más|leia (?:também|mais)"
    r"|veja também|(?:à )?lire aussi|voir aussi|leggi anche|lees ook"
    r"|czytaj (?:też|także|również)|zobacz (?:też|także|również)|polecamy"
    r")\s*(?:\.\.\.|…|[:：!])?$",
    re.IGNORECASE,
)
_PROMO_PREFIX = re.compile(
    r"^\[?(?:read more|see more|read also|also read|related|watch|more|mira|mire|vea también|puedes ver"
    r"|lee también|leer más|lea también|lea más|lea|(?:te|le) puede interesar|lesen sie (?:auch|mehr|hier)"
    r"|auch lesen|mehr dazu|mehr zum thema|(?:quelle|foto|fotos|bild|bildquelle|titelbild|photo"
    r"|photos|image|credit|fuente|source)"
    r"|auch interessant|à lire aussi|lire aussi|leia também|veja também|czytaj też|czytaj także"
    r"|zobacz też|zobacz także|leggi anche|also on \S+)\s*[:：>»|]",
    re.IGNORECASE,
)
_CALL_TO_ACTION = re.compile(
    r"\bsubscribe|newsletter|sign up for|follow (?:us|@)|share (?:it|this)|download (?:the|our) .{0,40}apps?"
    r"|support (?:our|us)|donate|click here|like this story|if you (?:enjoyed|liked) (?:this|reading)"
    r"|abonn|anmelden|unterstütze|folge uns|folgen sie uns|suscríbete|hazte miembro|inscreva-se"
    r"|zapraszamy|non-commercial use only|all rights reserved|alle rechte vorbehalten"
    r"|todos los derechos reservados|tous droits réservés|this article has been sent"
    r"|lire la suite|nicht eingeloggt|affiliate|ohne gewähr|hier klicken|únete|canal de (?:youtube|telegram)"
    r"|^\W*(?:anzeige|werbung|advertisement|sponsored)\b",
    re.IGNORECASE,
)
_STAMP = re.compile(
    r"^(?:updated|published|posted|last modified|last updated|aktualisiert|veröffentlicht"
    r"|actualizado|publicado|mis à jour|publié)\b[^!?]{0,60}\d[^!?]{0,40}$",
    re.IGNORECASE,
)


# A line's end that ends a sentence: punctuation, or an emoji closing a sentence as
# social and lifestyle copy writes them ("... see you there 🙂", "Tickets below ⬇️").
_TERMINAL = re.compile(
    r"(?:[.!?…:;\"”’)。！？」』）]|[\u2600-\u27bf\u2b00-\u2bff\U0001f300-\U0001faff]\ufe0f?)$"
)


@dataclass
class Stripped:
    """What chrome stripping kept, and the hints it found on the way."""

    paragraphs: list[str]
    title: str | None = None
    authors: list[str] = field(default_factory=list)
    caption_credits: list[str] = field(default_factory=list)


def is_widget(line: str) -> bool:
    low = _LIST_ITEM.sub("", line.strip()).lower().rstrip(":!.")
    return low in _WIDGET_WORDS or bool(_COUNTER.match(line.strip()))


def is_section_header(line: str) -> bool:
    """A heading after which the page lists other articles (in any of the languages known)."""
    line = line.strip()
    return bool(_SECTION_HEADERS.match(line)) or (
        count_words(line) <= 8 and bool(_RELATED_HEADER.match(line))
    )


_LABEL = re.compile(r"^[^\W\d][\w .-]{0,20}[:：]\s*\S")


def _headline_like(line: str) -> bool:
    """Could be a title: not a "Label: value" line and not mostly digits (dates, counters)."""
    digits = sum(c.isdigit() for c in line)
    return not _LABEL.match(line) and digits < 0.2 * len(line)


def _is_promo(line: str, words: int) -> bool:
    """A teaser ("Read more: …"), call to action or time stamp rather than article text."""
    return (
        (words <= 30 and bool(_PROMO_PREFIX.match(line)))
        or (words <= 25 and bool(_CALL_TO_ACTION.search(line)))
        or (words <= 12 and bool(_STAMP.match(_LIST_ITEM.sub("", line))))
    )


def _is_prose(line: str) -> bool:
    """A body paragraph: several words and ends like a sentence, or opens with a dateline."""
    from newsflow.clean.metadata import DATELINE

    if DATELINE.match(line):
        return True
    words = count_words(line)
    return words >= 8 and (
        bool(_TERMINAL.search(line)) or (words >= 15 and unpunctuated_script(line))
    )


# Hard wrapping breaks a line only where the next word would not fit: a line continued
# by the next is nearly as long as the text's long lines (this share of the width, the
# _WRAP_PERCENTILE of its line lengths, with the next word; 0.8 leaves room for
# proportional fonts' lines in a PDF's text). A dump with a paragraph per line has
# paragraphs of every length: its short heading above a list opening in lower case
# was no wrapped line, yet the two were joined.
_WRAP_FULL = 0.8
_WRAP_PERCENTILE = 0.9


def split_lines(text: str) -> list[str]:
    """Non-empty lines, with hard-wrapped paragraph lines joined back together.

    A line opening in lower case continues the one before it when that one is not a
    paragraph's end: no blank line between them, no sentence end, at least six words
    so far, and as long as a wrapped line is (``_WRAP_FULL``). A paragraph's lines are
    collected and joined once at its end: growing one string line by line was
    quadratic (a 512 KiB hard-wrapped dump took 38 s).
    """
    rows = [" ".join(raw.split()) for raw in text.split("\n")]
    lengths = sorted(len(row) for row in rows if row)
    width = _WRAP_FULL * lengths[int(_WRAP_PERCENTILE * (len(lengths) - 1))] if lengths else 0
    out: list[str] = []
    para: list[str] = []  # lines of the paragraph being joined
    para_words = 0
    prev_blank = True
    for line in rows:
        if not line:
            prev_blank = True
            continue
        words = line.count(" ") + 1
        if (
            para
            and not prev_blank
            and not _TERMINAL.search(para[-1])
            and line[0].islower()
            and para_words >= 6
            and len(para[-1]) + 1 + len(line.split(" ", 1)[0]) >= width
        ):
            para.append(line)
            para_words += words
        else:
            if para:
                out.append(" ".join(para))
            para, para_words = [line], words
        prev_blank = False
    if para:
        out.append(" ".join(para))
    return out


# The model alone never drops a line the rules kept that has this many words and ends
# like a sentence: a lost body paragraph costs more than a kept bio or consent sentence,
# and in a short article a closing paragraph shares few words with the rest (30 words in
# three sentences lost the last paragraph of the fixtures in tests/).
_PROTECTED_WORDS = 12
_SENTENCE_END = re.compile(r"[.!?。！？][\"'”’)]*(?:\s|$)")


# ... unless the line recurs in this many other documents of its source: a bio or
# consent sentence does, an article's paragraph does not (an updated version of the
# article repeats it once).
_PROTECTION_REPEATS = 2


# Verdicts the rules give for a line's wording (a widget's or call to action's, a teaser
# box heading's): the model brings such a line back only when it, its template or its
# first or last words (``linemodel.affix_keys``) recur on fewer than
# _PROTECTION_REPEATS other pages of its source. An article's "Sign up for the bundle"
# sentence is its own; the site's "Sign up for our daily newsletter ..." recurs (the
# model, sure of AEB's article lines so worded, brought it back at P(chrome) 0.000).
_HARD = ("widget", "teaser_header")


def _protected_sentence(line: str) -> bool:
    return count_words(line) >= _PROTECTED_WORDS and len(_SENTENCE_END.findall(line)) >= 1


def model_keeps(
    line: str, verdict: str | None, p: float, cuts: dict[str, float], repeats: int = 0
) -> bool:
    """Whether a line stays, given the rules' verdict and the model's P(chrome) ``p``.

    ``cuts`` (shipped with the weights, see ``linemodel.model_cuts``): a line the rules
    kept goes when ``p`` is above ``cuts["text"]``, unless it is a sentence of 12+
    words that recurs in fewer than two other documents of its source (``repeats``)
    and ``p`` is under ``cuts["protect"]`` (when given); a line the rules dropped comes back when ``p`` is under the cut for its
    verdict: a short list item, a line before the first prose paragraph, and a prose
    paragraph after a related-articles heading (the article resuming after a box dumped in mid-text; the
    headlines listed under the heading stay dropped; a short line there comes back only
    under ``cuts["related_list"]``). Every other verdict stands unless the cuts name it
    (with the site's pages known, the training command may choose a small cut for
    "widget" and "teaser_header" lines the model is sure are text): rescuing captions
    or teaser headlines kept chrome of styles the generator does not make.
    """
    if verdict is None:
        return p <= cuts["text"] or (
            repeats < _PROTECTION_REPEATS
            and p < cuts.get("protect", 2.0)
            and _protected_sentence(line)
        )
    if verdict == "related" and not _is_prose(line):
        return p < cuts.get("related_list", 0.0)
    if verdict in _HARD and repeats >= _PROTECTION_REPEATS:
        return False  # a call to action the site prints on its other pages too
    return p < cuts.get(verdict, 0.0)


# Suffix of the cuts (``linemodel.model_cuts``) used when the source's other pages are
# known: with the repetition features, the model can be trusted further.
SITE_CUT = "@site"


def model_decisions(
    lines: list[str],
    verdicts: list[str | None],
    probs: list[float],
    cuts: dict[str, float],
    counts: LineCounts | None = None,
) -> list[bool]:
    """``model_keeps`` for every line of a dump, in order: once a prose paragraph past
    a related-articles heading stays (the article resumed after a box), the lines after
    it that the rules dropped only for following that heading are judged as text.
    ``counts`` (``repeats.LineCounts``; None: the page alone): how often each line
    recurs on the source's other pages (``repeats``; recurring short lines go,
    ``repeats.boilerplate``), and the cuts named with SITE_CUT replace the others;
    ``templates``: the same for their templates (a bio the site prints for each of its
    authors recurs by template: it loses a sentence's protection as a repeated line
    does); ``affixes``: the same for their first and last words
    (``linemodel.affix_keys``): rows of the article's own list before the body or
    under a box heading stay (``_framed_list``); ``site_words``: per short line, the
    shares of its words the site's other pages' short lines hold (a line made only of
    them goes, ``repeats.boilerplate``). A line between two of the article's prose
    paragraphs (or before the first) that the site's other pages hold nowhere, not even
    its template or its first or last words, is judged under the ``<verdict>_unique``
    cut when the cuts name one (``text_unique``, ``teaser_header_unique``,
    ``before_body_unique``): an article's own note, credit, heading or table row, where
    a site's teaser, ad, menu or stamp recurs by its wording or frame."""
    from newsflow.clean.repeats import boilerplate

    if counts is not None:  # the site's other pages known: the cuts chosen for that case
        cuts = cuts | {k.removesuffix(SITE_CUT): v for k, v in cuts.items() if k.endswith(SITE_CUT)}
    out = []
    resumed = False
    counted = counts.repeats if counts else [0] * len(lines)  # alone: none recur
    templates = counts.templates if counts else None
    affixes = counts.affixes if counts else None
    reps = counted
    if templates:
        reps = [max(r, t) for r, t in zip(reps, templates, strict=True)]
    boiler = boilerplate(lines, counts) if counts else [False] * len(lines)
    framed = _framed_list(lines, verdicts, affixes, counted) if affixes else [False] * len(lines)
    between = _between_prose(lines, verdicts) if counts else [False] * len(lines)
    inside = _inside_article(lines, verdicts) if "listed_inside" in cuts else None
    if inside is not None:
        cuts = cuts | {"listed_inside": max(cuts["listed_inside"], cuts.get("listed_headline", 0))}
    for i, (line, verdict, p, r, b) in enumerate(
        zip(lines, verdicts, probs, reps, boiler, strict=True)
    ):
        if verdict == "related_header":
            resumed = False
        after_box = resumed and verdict in ("related", "listed_headline")
        if verdict == "listed_headline" and inside is not None and inside[i]:
            verdict = "listed_inside"
        if verdict in _HARD and affixes:
            r = max(r, affixes[i])  # the site prints its opening or closing words too
        judged_as = None if after_box else verdict
        key = judged_as or "text"  # the name of its cut
        line_cuts = cuts
        # "no other page holds it" says something only when the other pages are known
        placed = counts is not None and (between[i] or judged_as == "before_body")
        if placed and f"{key}_unique" in cuts and r == 0 and not (affixes and affixes[i]):
            # the site prints this line, its template and its frame on none of its other
            # pages, and it sits between two of the article's paragraphs or above the
            # first: the article's own note, credit, heading or table row, where a site's
            # teaser, ad, menu or stamp recurs by its wording or its frame
            line_cuts = cuts | {key: max(cuts.get(key, 0.0), cuts[f"{key}_unique"])}
        keep = not b and (framed[i] or model_keeps(line, judged_as, p, line_cuts, r))
        resumed = resumed or (verdict == "related" and keep)
        out.append(keep)
    if "smooth" in cuts or "smooth_prose" in cuts:
        out = _smoothed(lines, out, verdicts, probs, boiler, cuts)
    return out


# Other lines of the same run a line must share its frame with (``_framed_list``).
_LIST_FRAME = 2
# Runs of lines the rules drop where an article's own list or table may sit: under a
# box heading (a box set in mid-article), or before the first paragraph (a list or
# table article has no prose above its rows).
_FRAMED_RUNS = ("listed_headline", "before_body")


def _framed_list(
    lines: list[str], verdicts: list[str | None], affixes: list[int], repeats: list[int]
) -> list[bool]:
    """Which lines the rules drop in a run before the body or under a box heading are
    rows of the article's own list or table: their frame (``linemodel.page_frame``) is shared by
    _LIST_FRAME other lines of the same run and their first or last words recur on no
    more pages of the site (``affixes``) than most rows of the run recur on whole
    (``repeats``): an updated version of the article holds the same rows, and a new
    row in the update shares their frame (a list article and its update lost every
    row on both pages). A site's box of headlines names one story
    per line in its own words, its menus and stamps recur on its other pages; an
    article's list of dates and venues, races, teams and groups fills one frame line
    after line. A box set in mid-article (a mobile page's) took the rest of the
    article's list with it, and a calendar with no prose above it lost most rows."""
    out = [False] * len(lines)
    for verdict, i, j in runs(verdicts):
        if verdict not in _FRAMED_RUNS:
            continue
        frames = [page_frame(line) for line in lines[i:j]]
        own = sorted(repeats[i:j])[(j - i) // 2]  # the run's text on other versions
        heads = [f[0] for f in frames if f and f[0]]
        tails = [f[1] for f in frames if f and f[1]]
        for m, frame in zip(range(i, j), frames, strict=True):
            if frame and affixes[m] <= own:
                shared = max(
                    heads.count(frame[0]) if frame[0] else 0,
                    tails.count(frame[1]) if frame[1] else 0,
                )
                out[m] = shared - 1 >= _LIST_FRAME
    return out


def _between_prose(lines: list[str], verdicts: list[str | None]) -> list[bool]:
    """Whether a prose line the rules keep as text comes both before and after each
    line: a line inside the article, not in the page's header or footer."""
    text = [v is None and _is_prose(line) for line, v in zip(lines, verdicts, strict=True)]
    first = next((i for i, t in enumerate(text) if t), len(text))
    last = max((i for i, t in enumerate(text) if t), default=-1)
    return [first < i < last for i in range(len(text))]


def _inside_article(lines: list[str], verdicts: list[str | None]) -> list[bool]:
    """Whether a prose line the rules keep (as text or past a related heading) comes
    after each line: a line listed under a box heading with the article going on below
    it may be the article's own list ("Meal 1", "Eat every 2-3 hours" under a heading
    the rules read as a teaser box's); a list with no prose after it ends the page (the
    site's related headlines), and its cut ``cuts["listed_inside"]`` never applies."""
    out = [False] * len(lines)
    later = False
    for i in range(len(lines) - 1, -1, -1):
        out[i] = later
        later = later or (verdicts[i] in (None, "related") and _is_prose(lines[i]))
    return out


# Verdicts the model may overturn line by line, so the smoothing may too: article text
# by the rules, a line before the first paragraph (a list or table's rows), a list item.
_SMOOTHED = (None, "before_body", "list_item")
# The longest run of dropped lines between two kept ones the smoothing fills.
_SMOOTH_GAP = 2


def _smoothed(
    lines: list[str],
    keep: list[bool],
    verdicts: list[str | None],
    probs: list[float],
    boiler: list[bool],
    cuts: dict[str, float],
) -> list[bool]:
    """Keep a line the rules kept, or put before the body or in a list (``_SMOOTHED``),
    that the model dropped when the lines on both sides of it stay and its P(chrome) is
    under the cut for its context: ``cuts["smooth"]`` between two short lines (a row of
    a table or an item of a list between two kept ones is the article's),
    ``cuts["smooth_prose"]`` next to a paragraph of prose, where a site also puts its
    one-line teasers and ads (both chosen on generated styles the model did not fit)."""
    out = keep[:]
    for kept, i, j in runs(keep):
        # a stretch of dropped lines with a kept line on both sides (runs are maximal)
        if kept or i == 0 or j == len(keep) or j - i > _SMOOTH_GAP:
            continue
        short = not prose_line(lines[i - 1]) and not prose_line(lines[j])
        cut = cuts.get("smooth" if short else "smooth_prose", 0.0)
        for k in range(i, j):
            if verdicts[k] in _SMOOTHED and not boiler[k] and probs[k] < cut:
                out[k] = True
    return out


def rule_verdicts(
    lines: list[str], *, title: str | None = None
) -> tuple[list[str | None], Stripped]:
    """Each line's reason to be chrome by the hand rules (None: article text), and the
    title, authors and caption credits they found on the way."""
    result = Stripped(paragraphs=[], title=title)
    verdicts: list[str | None] = []
    seen: set[str] = set()
    body_started = False
    in_list_block = False
    after_related = False  # past a related-articles heading that follows the article
    for line in lines:
        key = line.casefold()
        if _BREADCRUMB.search(line) and not _is_prose(line):
            verdicts.append("breadcrumb")
            continue
        if is_section_header(line):
            # after the article, everything past "Related"/"Ranking"/... is other
            # articles by the rules; the line model may find the article resuming
            # (a box dumped in mid-text), so the lines keep their own verdicts
            after_related = after_related or body_started
            in_list_block = True
            verdicts.append("related_header")
            continue
        words = count_words(line)
        if words <= 8 and _TEASER_HEADER.match(line):
            in_list_block = True
            verdicts.append("teaser_header")
            continue
        if (
            _CRAWL_DATE.match(line)
            or _MACHINE_STAMP.match(line)
            or _DATE_STAMP.match(line)
            or is_widget(line)
            or _COPYRIGHT.match(line)
            or _TAGS.match(line)
            or _is_promo(line, words)
        ):
            verdicts.append("widget")
            continue
        if _LIST_ITEM.match(line) and words <= 25:
            # past a related-articles heading, a list is the other articles
            verdicts.append("related" if after_related else "list_item")
            continue
        m = _BYLINE.match(line)
        if m and not body_started and words <= 12:
            result.authors.append(m.group(1))
            verdicts.append("byline")
            continue
        if result.title and key == result.title.casefold():
            verdicts.append("title")
            continue
        if not _is_prose(line):
            if in_list_block:
                verdicts.append("listed_headline")  # under a "Related"/"Lesen Sie auch" heading
                continue
            if not body_started:
                # the headline nearest the body wins over a site name above it
                if not title and 3 <= words <= 30 and _headline_like(line):
                    result.title = line
                verdicts.append("before_body")
                continue
        credit = (
            _CAPTION_CREDIT.search(line)
            if body_started and not after_related and words <= 60
            else None
        )
        if credit:
            result.caption_credits.append(credit.group(1))
            verdicts.append("caption")
            continue
        if key in seen:
            verdicts.append("repeat")
            continue
        seen.add(key)
        body_started = True
        in_list_block = False
        verdicts.append("related" if after_related else None)
    return verdicts, result


def _title_after_model(
    lines: list[str], verdicts: list[str | None], keep: list[bool], found: str
) -> str:
    """The title of a dump whose title was not given, once the line model has decided:
    the rules guess the headline-like line nearest the body (``found``), which may be
    the article's own short first paragraph (a standfirst, a one-line lead); when the
    model keeps that line as text, the title is the nearest headline-like line above
    it the model drops (the page's headline, placed higher among its menus) and the
    paragraph stays in the text. With no such line the guess stands (the line that is
    the title leaves the text)."""
    at = lines.index(found)
    if keep[at]:
        for j in range(at - 1, -1, -1):
            line = lines[j]
            if (
                not keep[j]
                and verdicts[j] == "before_body"
                and 3 <= count_words(line) <= 30
                and _headline_like(line)
            ):
                return line
    return found


def strip_chrome(
    text: str,
    *,
    title: str | None = None,
    model: bool = True,
    evidence: LineEvidence | None = None,
) -> Stripped:
    """Drop chrome lines from ``text`` and cut trailing headline lists.

    The hand rules find the title (the headline-like line nearest the body, when
    ``title`` is not known), bylines and each line's reason to be chrome; the learned
    line model (``linemodel``), which sees those reasons as features, then decides
    which lines are article text. ``model=False``: the rules alone decide.
    ``evidence``: how often each line recurs in the other documents of the source
    (``repeats.SourceLines``), None for a document cleaned alone.
    """
    lines = split_lines(text)
    verdicts, result = rule_verdicts(lines, title=title)
    if not model:
        result.paragraphs = [line for line, v in zip(lines, verdicts, strict=True) if v is None]
        return result
    seen: set[str] = set()
    counts = evidence.counted(lines) if evidence else None
    probs = chrome_probabilities(lines, verdicts, counts)
    decisions = model_decisions(lines, verdicts, probs, model_cuts(), counts)
    if title is None and result.title is not None:
        result.title = _title_after_model(lines, verdicts, decisions, result.title)
    title_key = result.title.casefold() if result.title else None
    for line, keep in zip(lines, decisions, strict=True):
        key = line.casefold()
        if not keep or key in seen or key == title_key:
            continue
        seen.add(key)
        result.paragraphs.append(line)
    if not result.paragraphs:
        # the model never empties a text the rules kept lines of: a one-sentence brief
        # looks like a teaser to it, and "no text" would lose the whole document
        kept = [line for line, v in zip(lines, verdicts, strict=True) if v is None] or [
            # no prose line at all (a brief cut off mid-sentence): "before the body"
            # says nothing, its sentence-long lines are the text (dates, crumbs are not)
            line
            for line, v in zip(lines, verdicts, strict=True)
            if v == "before_body" and count_words(line) >= _PROTECTED_WORDS
        ]
        result.paragraphs = [line for line in dict.fromkeys(kept) if line.casefold() != title_key]
    return result


# ---------------------------------------------------------------- extractor output
# An extractor's output is already the article, give or take its edges, so the rules
# for it are gentler than for text dumps: list items, short lines and headings stay;
# only lines that are chrome in any language go, and a trailing "Related"/"Lesen Sie
# auch"/"Notas relacionadas" block is cut.

# A related-articles heading this far into the text (by characters) ends the article;
# earlier, it is a teaser box inside it. Judged on trafilatura_eval/AEB "tune" pages.
_TAIL_FRACTION = 0.6


def _ws_key(line: str) -> str:
    return " ".join(line.split()).casefold().strip(" .:")


def strip_page_chrome(text: str, *, title: str | None = None) -> Stripped:
    """Chrome left in an extractor's output: title repeats, share/subscribe lines,
    bare URLs, time stamps, copyright lines, "Read more: …" teasers, and everything
    after a related-articles heading in the last part of the text.
    """
    lines = [" ".join(raw.split()) for raw in text.split("\n")]
    lines = [line for line in lines if line]
    result = Stripped(paragraphs=[], title=title)
    title_key = _ws_key(title) if title else None
    total = sum(len(line) for line in lines) or 1
    done = 0
    in_list_block = False
    for line in lines:
        done += len(line)
        words = count_words(line)
        if title_key and _ws_key(line) == title_key:
            continue
        if words <= 8 and _RELATED_HEADER.match(line):
            if done - len(line) >= _TAIL_FRACTION * total:
                break  # the rest of the page is other articles
            in_list_block = True
            continue
        if words <= 8 and _TEASER_HEADER.match(line):
            in_list_block = True
            continue
        if in_list_block:
            if words <= 20 and not _TERMINAL.search(line):
                continue  # headlines listed under a related-articles heading
            in_list_block = False
        if (
            _CRAWL_DATE.match(line)
            or is_widget(line)
            or _TAGS.match(line)
            or (words <= 40 and _COPYRIGHT.match(line))
            or _is_promo(line, words)
        ):
            continue
        result.paragraphs.append(line)
    return result
