"""readability's article lines that trafilatura left out are put in at their place
(issue 19): a lead in its own block above the article body, a paragraph in a block
marked differently; captions, link lines and the text after the last shared line are
not."""

from datetime import date

import pytest
import trafilatura
import trafilatura.external
from newsflow.clean import clean_document, port
from newsflow.clean.ensemble import ReadLine, readability_lines
from newsflow.clean.html import extract_html
from newsflow.clean.merge import insert_missing
from newsflow.clean.port import recording
from newsflow.records import RawDoc

DAY = date(2024, 5, 14)

LEAD = (
    "The harbour authority kept the port closed for a third day on Monday, and the "
    "talks between the dock workers' union and the operators broke down at noon."
)


def _script(lines: int) -> str:
    """A page's scripts: most of a real news page's bytes are not text."""
    return "<script>" + "var tracking = {'id': 12345, 'k': 'abcdefgh'};\n" * lines + "</script>"


CAPTION = "Cranes stand idle at the container terminal on Sunday, when the strike began."


_SUBJECTS = ["operators", "mayor", "shipping line", "police", "chamber", "minister", "pilots"]
_OBJECTS = ["grain ships", "ferries", "tankers", "car carriers", "trawlers", "barges", "tugs"]


def _para(i: int) -> str:
    """A paragraph of its own words: the texts are matched by 4-word shingles."""
    return (
        f"In statement {i} the {_SUBJECTS[i]} said that the {_OBJECTS[i]} waiting off the "
        f"coast since week {i + 20} would be sent to other ports before the deadline."
    )


def _page(script_lines: int = 200) -> str:
    """A news page whose lead sits in a teaser block above the ``articleBody``, as on many
    CMS templates: trafilatura reads the marked body only, readability the whole column."""
    nav = "<nav>" + "".join(f"<a href='/s{i}'>Section {i}</a>" for i in range(20)) + "</nav>"
    body = "".join(f"<p>{_para(i)}</p>" for i in range(6))
    return (
        f"<html><head><title>Port strike enters third day</title>{_script(script_lines)}</head><body>"
        f"{nav}<main><div class='page-content'>"
        "<h1>Port strike enters third day</h1>"
        f"<div class='teaser'>{LEAD}</div>"
        f"<div class='story' itemprop='articleBody'>{body}</div>"
        "</div></main><footer><p>About us · Contact · Imprint</p></footer></body></html>"
    )


@pytest.mark.parametrize(
    ("script_lines", "source"),
    [(200, "trafilatura+port"), (2000, "trafilatura+readability")],
)
def test_the_lead_trafilatura_left_out_is_put_back_above_the_body(
    script_lines: int, source: str
) -> None:
    """From trafilatura's readability port when its text is a fair share of the page,
    from readability-lxml itself when it is under 2% (where readability runs anyway)."""
    html = _page(script_lines)
    alone = trafilatura.extract(html, include_comments=False) or ""
    assert "third day on Monday" not in alone and _para(0) in alone  # the case at hand
    found = extract_html(html)
    assert found is not None and found.extra["extractor"] == source
    art = clean_document(RawDoc("s.html", "html", html, html.encode()), day=DAY)
    assert isinstance(art, dict)
    lines = art["text"].split("\n")
    assert lines[0] == LEAD and lines[1] == _para(0)  # in its place, before the body


def test_the_port_is_recorded_only_inside_recording() -> None:
    html = _page()
    with recording() as port:
        trafilatura.bare_extraction(html)
    assert [line.text for line in port][:2] == [LEAD, _para(0)]
    assert extract_html(html) is not None
    trafilatura.bare_extraction(html)  # outside: nothing kept, no error
    with recording() as nothing:
        pass
    assert nothing == []


def test_trafilatura_still_has_the_port_function() -> None:
    """The port is trafilatura's internal ``try_readability``: if a new trafilatura
    drops it, this fails (the clean stage itself only logs and goes on without it)."""
    assert port.available(), "trafilatura.external.try_readability is gone"
    assert getattr(trafilatura.external.try_readability, "newsflow_recorder", False)


def test_without_the_port_function_pages_are_still_read(monkeypatch) -> None:
    """A trafilatura that renamed the function (it calls it unwrapped, under a name
    ``port`` does not know): no port lines, no error, trafilatura's text."""
    assert extract_html(_page()).extra == {"extractor": "trafilatura+port"}
    original = trafilatura.external.try_readability.__wrapped__
    monkeypatch.setattr(trafilatura.external, "try_readability", original)
    monkeypatch.setattr(port, "_FUNCTION", "a_name_trafilatura_does_not_have")
    assert not port.available()
    found = extract_html(_page())
    assert found is not None and LEAD not in found.text and found.extra == {}


def _rl(text: str, links: float = 0.0, media: bool = False) -> ReadLine:
    return ReadLine(text, links, media)


def test_missing_lines_go_between_their_anchors_and_chrome_stays_out() -> None:
    paras = [_para(i) for i in range(5)]
    traf = "\n".join(paras[:2] + paras[3:])  # paragraph 2 missing
    read = [
        _rl("Port strike enters third day"),  # a headline: not prose
        _rl(CAPTION, media=True),  # a caption
        _rl("Read our live coverage of the strike and all the other news today.", links=0.9),
        _rl(paras[0]),
        _rl(paras[1]),
        _rl(paras[2]),
        _rl(paras[3]),
        _rl(paras[4]),
        _rl("Comments are closed on this article, but you can write to the editors."),
    ]
    # nothing else is added: not the headline, the caption, the link line, nor the line
    # after the last shared one
    assert insert_missing(traf, read).split("\n") == paras


def test_no_insertion_when_readability_read_another_text() -> None:
    paras = [_para(i) for i in range(4)]
    traf = "\n".join(paras)
    other = [
        _rl(f"A different story number {i} about the weather and the roads today.")
        for i in range(6)
    ]
    assert insert_missing(traf, other) == traf
    assert insert_missing(traf, []) == traf and insert_missing("", other) == ""
    # a line shown twice in readability's text (a caption in two sizes) is not article
    twice = "The harbour seen from the air on Sunday, with the ships waiting off the coast."
    read = [_rl(twice), _rl(twice), *map(_rl, paras)]
    assert insert_missing(traf, read) == traf


def test_readability_lines_mark_links_and_captions() -> None:
    photo = (
        f"<div class='wp-caption'><img src='/c.jpg' width='600' height='400'>"
        f"<p class='wp-caption-text'>{CAPTION}</p></div>"
    )
    more = "More about the strike in our live coverage of the port and the city today"
    body = "".join(f"<p>{_para(i)}</p>" for i in range(6))
    html = _page().replace(
        f"<p>{_para(3)}</p>", f"<p>{_para(3)}</p>{photo}<p><a href='/more'>{more}</a></p>"
    )
    assert body not in html  # the page got the photo and the link
    lines = {line.text: line for line in readability_lines(html)}
    assert lines[LEAD].links == 0.0 and not lines[LEAD].media
    assert lines[CAPTION].media and not lines[_para(3)].media
    assert lines[more].links == 1.0
