"""The page-level choice when trafilatura's text is not the article (``quality``)."""

from __future__ import annotations

from newsflow.clean.ensemble import ReadLine
from newsflow.clean.html import extract_html
from newsflow.clean.metadata import normalise_text
from newsflow.clean.quality import not_the_article, prose_words, text_lines

WARNING = (
    "Warning: Use of undefined constant comments - assumed 'comments' in "
    "/var/www/site/wp-content/plugins/recent-comments.php on line 928"
)
ARTICLE = [
    "The harbour authority kept the port closed for a third day on Monday, as the storm "
    "moved slowly along the coast.",
    "Ferries to the islands were cancelled, and the operator said it would refund every "
    "ticket bought for the week.",
    "Fishermen said the closure had cost them the best catch of the season so far.",
]


def _lines(texts: list[str], links: float = 0.0) -> list[ReadLine]:
    return [ReadLine(t, links, False) for t in texts]


def test_warnings_or_a_slogan_lose_to_an_article() -> None:
    assert not_the_article("\n".join([WARNING, WARNING]), _lines(ARTICLE))
    slogan = "Your most important touchpoint for the digital trade."
    assert not_the_article(f"{slogan}\n{slogan}", _lines(ARTICLE))


def test_a_real_article_is_kept() -> None:
    # trafilatura's article against a different text: a sidebar of prose no longer
    # than a quarter of it does not win
    traf = "\n".join(ARTICLE * 1 + [a.replace("Monday", "Tuesday") for a in ARTICLE])
    assert not not_the_article(traf, _lines(ARTICLE[:1]))
    # the other text as a link list or a gallery of captions is not prose
    assert not not_the_article(WARNING, _lines(ARTICLE, links=0.8))
    assert not not_the_article(WARNING, [ReadLine(t, 0.0, True) for t in ARTICLE])


def test_the_same_article_cut_differently_is_left_to_the_other_rules() -> None:
    # trafilatura's text is a short part of the other's: the same article, not another
    # text (``ensemble.prefer_readability`` and ``merge`` handle it)
    traf = "Fishermen said the closure had cost them"
    assert not not_the_article(traf, _lines(ARTICLE))


def test_prose_words_count_sentences_once() -> None:
    assert prose_words(text_lines("\n".join([WARNING, WARNING]))) == 0
    assert prose_words(text_lines("Short label.\nHome | News | Sport")) == 0
    # a whole article in one line, with sentence ends inside it, is prose
    one_line = " ".join(ARTICLE[:2]).rstrip(".") + " Photo: Harbour Authority"
    assert prose_words(text_lines(one_line)) == len(one_line.split())


def test_full_width_punctuation_is_kept() -> None:
    text = "一个约定，信守15年，感人至深；一段真情，延续15年，催人泪下！"
    assert normalise_text(text) == text


def test_a_page_whose_article_trafilatura_missed_reads_the_ports() -> None:
    """trafilatura reads the PHP warnings printed above the page and leaves the article
    (in an ``<aside>``) out; its readability port reads the article, which is taken."""
    warning = (
        "<b>Warning</b>: Use of undefined constant comments - assumed 'comments' in "
        "<b>/var/www/wp-content/plugins/recent.php</b> on line <b>928</b><br />"
    )
    paras = "".join(f"<p>{line}</p>" for line in ARTICLE)
    html = (
        "<html><head><title>Port closed</title></head><body>"
        f"{warning}{warning}<div class='main'><aside>{paras}</aside></div></body></html>"
    )
    found = extract_html(html)
    assert found is not None
    assert found.text.split("\n") == ARTICLE
    assert found.extra == {"extractor": "port"}


def test_a_long_text_that_is_not_prose_is_kept() -> None:
    """A how-to of list items (no sentence ends) is an article of its own: the other
    extractor's sentences (a wiki's tooltips) do not replace it."""
    steps = "\n".join(
        f"- step {i}: turn the partner to the right and lift the left hand over her head"
        for i in range(12)
    )
    tooltips = [f"View and manage the file attachments of page number {i} here." for i in range(8)]
    assert prose_words(text_lines(steps)) == 0
    assert not not_the_article(steps, _lines(tooltips))
    # the same tooltips against a few short lines are chosen
    assert not_the_article("Steps\nMenu", _lines(tooltips))
