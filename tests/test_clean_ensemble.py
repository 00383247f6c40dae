"""readability-lxml as a second opinion: it replaces trafilatura's text only when it is
the same article, more completely (issue 19)."""

from datetime import date

from newsflow.clean import clean_document
from newsflow.clean.ensemble import (
    containment,
    needs_second_opinion,
    prefer_readability,
    readability_text,
    trim_to_support,
)
from newsflow.records import RawDoc, Reject

DAY = date(2024, 5, 14)


def _para(i: int) -> str:
    return (
        f"Paragraph {i} of the report: the harbour authority said the dock workers kept the "
        "port closed for another day while talks between the union and the operators "
        "resumed at the city hall on Tuesday."
    )


NAV = "<nav>" + "".join(f"<a href='/s{i}'>Section {i}</a>" for i in range(30)) + "</nav>"
SIDEBAR = (
    "<aside>"
    + "".join(
        f"<div class='promo'><a href='/x{i}'>Promoted headline {i}</a></div>" for i in range(20)
    )
    + "</aside>"
)
# a page's scripts: most of a real news page's bytes are not text
SCRIPT = "<script>" + "var tracking = {'id': 12345, 'k': 'abcdefgh'};\n" * 1000 + "</script>"


def _split_body_page() -> str:
    """An article split over three "story-body" blocks in separate sections: trafilatura
    takes the first block its rules match, readability joins the scored siblings."""
    sections = "".join(
        "<section><div class='story-body'>"
        + "".join(f"<p>{_para(i)}</p>" for i in range(k, k + 3))
        + "</div></section>"
        for k in (0, 3, 6)
    )
    return (
        f"<html><head><title>Port strike</title>{SCRIPT}</head><body>{NAV}"
        f"<main><h1>Port strike</h1>{sections}</main>{SIDEBAR}</body></html>"
    )


def test_readability_completes_an_article_trafilatura_cut_short() -> None:
    import trafilatura

    html = _split_body_page()
    alone = trafilatura.extract(html, include_comments=False) or ""
    assert alone.count("Paragraph") == 3  # one block of three
    art = clean_document(RawDoc("s.html", "html", html, html.encode()), day=DAY)
    assert not isinstance(art, Reject)
    assert [f"Paragraph {i} " in art["text"] for i in range(9)] == [True] * 9
    assert "Promoted headline" not in art["text"] and "Section 3" not in art["text"]


def test_a_longer_other_text_does_not_replace_the_article() -> None:
    article = "\n".join(_para(i) for i in range(3))
    sidebar = "\n".join(
        f"Other story {i}: the council met to discuss the budget." for i in range(60)
    )
    assert not prefer_readability(article, sidebar)  # longer, but not the same text
    assert not prefer_readability(article, article + "\nShare this")  # not much longer
    assert prefer_readability(article, article + "\n" + sidebar)  # holds it, and more
    assert prefer_readability("", article) and not prefer_readability(article, "")
    assert containment(article, article + sidebar) == 1.0 and containment("", article) == 0.0


def test_readability_runs_only_when_trafilatura_found_little_of_the_page() -> None:
    html = _split_body_page()
    assert needs_second_opinion(_para(0), html)
    assert not needs_second_opinion(_para(0) * 100, html)
    assert readability_text("<html><body></body></html>") == ""
    assert isinstance(readability_text("<p>a \x00 b</p>"), str)  # bad input: no exception


def test_lines_only_trafilatura_kept_around_the_same_article_are_cut() -> None:
    body = [_para(i) for i in range(4)]
    boiler = "Acme Corp is a global provider of port logistics software based in Rotterdam."
    traf = "\n".join(["Order Reprints", *body[:2], "Photo: harbour at dawn", *body[2:], boiler])
    # readability: the same article, without the edges (and without the caption)
    readability = "\n".join(body)
    trimmed = trim_to_support(traf, readability)
    assert trimmed == "\n".join([*body[:2], "Photo: harbour at dawn", *body[2:]])  # middle kept


def test_a_long_leading_sentence_readability_left_out_is_kept_as_the_lead() -> None:
    body = [_para(i) for i in range(4)] + [
        "Ferries to the islands were cancelled and lorries queued on the motorway.",
        "A spokesman for the operators said an offer would be made by Friday.",
        "Fishermen unloading their catch at the old quay were allowed through the gates.",
        "The regional government urged both sides to return to mediation next week.",
    ]
    lead = (
        "The city's port stayed shut for a third day as dock workers and operators failed "
        "to agree on pay, leaving hundreds of lorries queuing on the motorway and ferries "
        "to the islands cancelled until at least Friday."
    )
    traf = "\n".join(["Order Reprints", lead, *body, "Print Article"])
    trimmed = trim_to_support(traf, "\n".join(body))
    assert trimmed == "\n".join([lead, *body])  # a short label before it still goes


def test_no_cut_when_readability_is_not_the_same_article_inside_trafilaturas() -> None:
    body = [
        "The harbour authority kept the port closed for another day on Tuesday.",
        "Talks between the union and the operators resumed at the city hall.",
        "Ferries to the islands were cancelled and lorries queued on the motorway.",
        "A spokesman for the operators said an offer would be made by Friday.",
    ]
    traf = "\n".join(["Order Reprints", *body, "Print Article"])
    # readability found a small part only: it is no second opinion on the whole article
    assert trim_to_support(traf, body[0]) == traf
    # readability holds other text too: it read another block, not a subset of this one
    other = "\n".join(f"Other story {i}: the council met to discuss the budget." for i in range(20))
    assert trim_to_support(traf, "\n".join([*body, other])) == traf
    assert trim_to_support(traf, "") == traf and trim_to_support("", body[0]) == ""
    assert trim_to_support("\n".join(body), "\n".join(body)) == "\n".join(body)


def test_readability_text_is_the_librarys_text_without_the_javascript_step() -> None:
    """The cheaper cleaner leaves link targets and ``on*`` attributes alone; the text
    must be what readability-lxml itself gives."""
    import lxml.html
    from readability import Document

    links = "".join(
        f"<a href='javascript:void({i})' onclick='go({i})'>link {i}</a> " for i in range(5)
    )
    head = "<h1>Port strike</h1>"
    html = _split_body_page().replace(head, f"{head}<p>{links}</p>")
    theirs = lxml.html.fromstring(Document(html).summary(html_partial=True)).text_content()
    ours = readability_text(html)
    assert ours
    # the library's text_content() runs blocks together; ours puts a line between them
    assert "".join(ours.split()) == "".join(theirs.split())


def _split_article(first: int, second: int) -> str:
    """An article in two text modules with a gallery module between them (as magazine
    templates print an interview), trafilatura's text a fair share of the page."""
    module = (
        "<div class='editorial-module editorial-module--text{}'><div class='text'>"
        "<div class='text-text'>{}</div></div></div>"
    )
    gallery = "".join(
        f"<li><a href='/g/{i}'><img src='/{i}.jpg'></a><span>Photo {i}</span></li>"
        for i in range(12)
    )
    nav = "".join(
        f"<li><a href='/n/{i}'>Other news headline number {i}</a></li>" for i in range(15)
    )
    paras = [
        "".join(f"<p>{_part(i, first)}</p>" for i in range(a, b))
        for a, b in ((0, first), (first, first + second))
    ]
    return (
        f"<html><head><title>Port</title></head><body><nav><ul>{nav}</ul></nav>"
        "<section class='content'><div class='single-wrapper'>"
        f"{module.format('', paras[0])}"
        f"<div class='editorial-module editorial-module--gallery'><ul>{gallery}</ul></div>"
        f"{module.format(' entry-content', paras[1])}</div></section>"
        f"<footer><ul>{nav}</ul></footer></body></html>"
    )


def _part(i: int, first: int) -> str:
    """Paragraph ``i`` of a split article whose first part has ``first`` paragraphs."""
    if i < first:
        return (
            f"Part one, paragraph {i}: the harbour authority kept the port closed for a third "
            "day on Monday, and the ferries stayed in the harbour while the storm moved on."
        )
    return (
        f"Part two, paragraph {i}: fishermen said the closure had cost them the best catch "
        "of the season, and the council promised help for every boat that lost a week."
    )


def test_the_part_of_a_split_article_trafilatura_left_out_comes_from_readability() -> None:
    import trafilatura
    from newsflow.clean.ensemble import paragraphs_left_out
    from newsflow.clean.html import extract_html

    html = _split_article(3, 3)
    traf = trafilatura.extract(html)
    assert _part(0, 3) not in traf and _part(3, 3) in traf  # it read the second module
    assert not needs_second_opinion(traf, html)  # ... and readability would not run
    assert paragraphs_left_out(traf, html)
    found = extract_html(html)
    assert found is not None and found.extra == {"extractor": "trafilatura+readability"}
    assert [_part(i, 3) for i in range(6)] == found.text.split("\n")
    # the whole article read: no paragraph left out, readability is not asked
    assert not paragraphs_left_out(found.text, html)
