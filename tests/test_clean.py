import textwrap
from datetime import date
from pathlib import Path

import pytest
from newsflow.clean import clean_document
from newsflow.clean.chrome import strip_chrome, strip_page_chrome
from newsflow.clean.metadata import (
    clean_authors,
    clean_title,
    date_from_url,
    dateline,
    normalise_text,
)
from newsflow.clean.urls import canonical_url
from newsflow.records import RawDoc, Reject
from support import AP_FARM, FARM, KYODO, SAMPLE, SAMPLE_INBOX, SEEDS

DAY = date(2024, 5, 14)
FARM_CHROME = [
    "Current:Home",
    "-消息",
    "\nView\n",
    "Date:2025-04-23",
    "veryGood!",
    "Related",
    "Ranking",
    "Recommendation",
    "Meta donates",
    "Juan Soto",
]


def _seed(name: str) -> RawDoc:
    raw = (SEEDS / name).read_bytes()
    return RawDoc(name, "text", raw.decode("utf-8"), raw)


@pytest.mark.shared
def test_content_farm_copy_keeps_the_ap_body_and_drops_the_chrome() -> None:
    art = clean_document(_seed(AP_FARM), day=DAY)
    text = art["text"]
    assert text.startswith("TOKYO (AP) — Japan and Vietnam on Monday agreed")
    assert text.endswith("visit a hydrogen energy facility in Fukuoka in southern Japan.")
    assert len(text.split("\n")) == 11  # every article paragraph, one per line
    for chrome in FARM_CHROME:
        assert chrome not in "\n" + text + "\n", chrome
    assert art["title"].startswith("Japan and Vietnam agree to boost ties")
    assert art["source"] == "AP"
    assert art["published_at"] is None  # the farm's Date: line is not the article's date
    assert art["language"] == "en"


def test_sample_farm_copy_keeps_the_ap_body_and_drops_the_chrome() -> None:
    """The seeds' self-written twin: the sample corpus's AP text on a content farm."""
    import json

    truth = json.loads((SAMPLE / "expected.json").read_text())["content_farm_txt"]
    raw = (SAMPLE_INBOX / FARM).read_bytes()
    art = clean_document(RawDoc(FARM, "text", raw.decode("utf-8"), raw), day=DAY)
    text = art["text"]
    assert text.startswith("OTTAWA (AP) — Canada and Mexico agreed Monday")
    assert all(keep in text for keep in truth["must_keep"])
    assert not any(drop in text for drop in truth["must_drop"])
    assert art["title"] == "Canada and Mexico agree critical minerals pact at Ottawa summit"
    assert (art["source"], art["published_at"]) == ("AP", None)
    assert art["language"] == "en"


@pytest.mark.shared
def test_kyodo_text_loses_caption_and_related_block() -> None:
    art = clean_document(_seed(KYODO), day=DAY)
    text = art["text"]
    assert text.startswith("Japanese Prime Minister Fumio Kishida and Vietnamese President")
    assert text.endswith("since becoming the president in March.")
    assert "shakes hands" not in text
    assert "Related coverage" not in text and "FOCUS:" not in text
    assert art["source"] == "Kyodo"  # from the photo credit
    assert art["word_count"] == len(text.split())


@pytest.mark.parametrize(
    ("page", "must_keep", "must_drop"),
    [
        (  # a news site's text dump: menu, byline, share bar, footer
            "Menu\nSearch\nNews > Business > Markets\nCentral bank holds rates steady\n"
            "By Jane Doe, Staff Reporter\nShare\nTweet\n"
            "FRANKFURT (Reuters) — The central bank kept its main rate at 4 percent on Thursday, "
            "citing stubborn services inflation.\n"
            "Economists had expected the decision after a week of mixed data from the euro zone.\n"
            "Advertisement\n"
            "The bank will publish new staff projections in June, its president told reporters.\n"
            "Most Read\n1. Ten gadgets for summer\n2. Stocks slide\n© 2024 Example Media\n",
            [
                "FRANKFURT (Reuters) — The central bank",
                "Economists had expected",
                "staff projections in June",
            ],
            [
                "Menu",
                "Search",
                "News > Business",
                "Share",
                "Tweet",
                "Advertisement",
                "Most Read",
                "gadgets",
                "©",
            ],
        ),
        (  # a blog-style dump: counters, tags and a 'You may also like' list
            "Home » World » Floods\n12 comments\n"
            "Heavy rain flooded the old town of the city overnight and forced hundreds of residents "
            "to leave their homes, officials said.\n\n"
            "Rescue teams used boats to reach people stranded on upper floors.\n\n"
            "Likes (42)\nYou may also like:\nCelebrity chef opens new restaurant\nTop ten beaches\n",
            ["Heavy rain flooded the old town", "Rescue teams used boats"],
            [
                "Home » World",
                "12 comments",
                "Likes (42)",
                "You may also like",
                "Celebrity chef",
                "beaches",
            ],
        ),
    ],
)
def test_chrome_of_other_site_styles(page: str, must_keep: list[str], must_drop: list[str]) -> None:
    text = "\n".join(strip_chrome(normalise_text(page)).paragraphs)
    for s in must_keep:
        assert s in text
    for s in must_drop:
        assert s not in text, s


def test_byline_becomes_authors() -> None:
    out = strip_chrome(
        "Rates on hold\nBy Jane Doe, Staff Reporter\n" + "A sentence of news text here. " * 3
    )
    assert out.authors == ["Jane Doe"]
    assert out.title == "Rates on hold"


def test_html_page_through_trafilatura() -> None:
    nav = "".join(f'<li><a href="/s{i}">Section {i}</a></li>' for i in range(30))
    body = "".join(
        f"<p>Paragraph {i} of the report says the harbour strike entered its third day on Tuesday "
        f"as dock workers and port operators failed to agree on pay.</p>"
        for i in range(5)
    )
    html = (
        "<html><head><title>Port strike enters third day | Example News</title>"
        '<meta name="author" content="By John Smith">'
        '<meta property="article:published_time" content="2024-05-13T08:00:00+00:00">'
        f"</head><body><nav><ul>{nav}</ul></nav><article><h1>Port strike enters third day</h1>"
        f"{body}</article><footer><p>Copyright Example News. All rights reserved.</p></footer></body></html>"
    )
    doc = RawDoc(
        "p.html",
        "html",
        html,
        html.encode(),
        url="https://www.example.com/news/strike/?utm_source=tw",
    )
    art = clean_document(doc, day=DAY)
    assert "Paragraph 0 of the report" in art["text"] and "Paragraph 4" in art["text"]
    assert "Section 12" not in art["text"] and "All rights reserved" not in art["text"]
    assert not art["text"].startswith(
        "Port strike enters third day"
    )  # the h1 is the title, not text
    assert art["title"] == "Port strike enters third day"
    assert art["authors"] == ["John Smith"]
    assert art["published_at"].isoformat().startswith("2024-05-13")
    assert art["canonical_url"] == "https://example.com/news/strike"
    assert art["source"] == "example.com"


def test_short_or_empty_text_is_rejected_with_bytes() -> None:
    doc = RawDoc("s.txt", "text", "Too short to be news.", b"Too short to be news.")
    rej = clean_document(doc, day=DAY, min_words=20)
    assert isinstance(rej, Reject) and rej.code == "too_short" and rej.raw == doc.raw
    html = "<html><head><script>var x = 1;</script></head><body></body></html>"
    rej = clean_document(RawDoc("e.html", "html", html, html.encode()), day=DAY)
    assert isinstance(rej, Reject) and rej.code == "no_text"


def test_a_brief_under_its_headline_is_news() -> None:
    """A wire brief is one sentence under a headline: the headline counts toward
    min_words, and a text that is only its headline keeps it as the body (chrome
    stripping drops the line repeating the title, which would leave nothing)."""
    title = "Parliament election ends in Turkmenistan"
    text = (
        "Voters in Turkmenistan chose a new parliament on Sunday in a vote observers called "
        "unfair, officials said."
    )
    brief = RawDoc("b.jsonl#L1", "text", f"{title}\n{text}", b"{}", title=title)
    art = clean_document(brief, day=DAY, min_words=20)
    assert not isinstance(art, Reject)
    assert (art["title"], art["text"]) == (title, text)
    lead = "Senior officials in Ashgabat said on Sunday that the parliament election was over."
    only = RawDoc("b.jsonl#L2", "text", lead, b"{}", title=lead)
    art = clean_document(only, day=DAY, min_words=10)
    assert not isinstance(art, Reject) and art["text"] == lead
    rej = clean_document(RawDoc("b.jsonl#L3", "text", text, b"{}"), day=DAY, min_words=20)
    assert isinstance(rej, Reject) and rej.code == "too_short"  # no headline: 17 words


def test_non_english_language() -> None:
    text = (
        "Die Regierung in Berlin hat am Dienstag ein neues Gesetz zum Schutz der Wälder beschlossen. "
        "Umweltverbände begrüßten die Entscheidung, forderten aber mehr Geld für die Umsetzung."
    )
    art = clean_document(RawDoc("de.txt", "text", text, text.encode()), day=DAY, min_words=5)
    assert art["language"] == "de"


@pytest.mark.parametrize(
    ("url", "canon"),
    [
        ("https://www.Example.com/news/a/?utm_source=x&fbclid=1", "https://example.com/news/a"),
        ("http://example.com/news/a", "https://example.com/news/a"),
        ("https://example.com/news/a/amp/", "https://example.com/news/a"),
        ("https://example.com/news/a?id=3#top", "https://example.com/news/a?id=3"),
        ("https://ex.com/news.php?article=77&fbclid=z", "https://ex.com/news.php?article=77"),
        ("https://ex.com/a?story=12&page=2&utm_medium=rss", "https://ex.com/a?page=2&story=12"),
        ("ftp://example.com/x", None),
        ("not a url", None),
        (None, None),
    ],
)
def test_canonical_url(url: str | None, canon: str | None) -> None:
    assert canonical_url(url) == canon


def test_datelines_and_authors() -> None:
    assert dateline("WASHINGTON (Reuters) - The Senate voted.") == ("Reuters", "Washington")
    assert dateline("(AFP) - Talks resumed.") == ("AFP", None)
    assert dateline("No dateline here.") == (None, None)
    assert clean_authors("By Jane Doe; John Smith, Senior Correspondent") == [
        "Jane Doe",
        "John Smith",
    ]


def test_mojibake_and_spacing_fixed() -> None:
    assert normalise_text("CafÃ©  society\r\n\r\n  next   para ") == "Café society\nnext para"
    kept = normalise_text("CafÃ©  society\r\n\r\n\n  next   para \n", keep_breaks=True)
    assert kept == "Café society\n\nnext para"
    assert normalise_text(kept, keep_breaks=True) == kept


@pytest.mark.parametrize("sep", ["\n\n", "\n"])
def test_a_dump_line_is_joined_to_the_one_above_only_when_hard_wrapped(sep: str) -> None:
    """The splitter joins a hard-wrapped paragraph's lines (a line opening in lower case
    after an unfinished one that is as long as a wrapped line) but not across a blank
    line, nor after a short line of a dump with a paragraph per line: a list whose items
    open in lower case keeps each item, and a teaser line above an item does not take
    the item with it when it goes."""
    paras = [
        "The harbour market reopened on Saturday after a month of repairs to its roof, "
        "and the traders who had moved to the car park came back with their stalls.",
        "What the stalls sell this week",
        "fresh cod and haddock from the morning boats",
        "READ MORE: Ferry timetable changes for the winter season",
        "smoked salmon from the island smokehouse",
        "bread and cakes from the village bakery",
        "The market is open every Saturday from eight until two, the harbour office said, "
        "and parking is free for the first hour.",
    ]
    text = sep.join(paras)
    art = clean_document(RawDoc("market.txt", "text", text, text.encode()), day=DAY)
    out = art["text"].split("\n")
    assert [p for p in paras if p.islower()] == [p for p in out if p.islower()]
    assert not any("READ MORE" in p for p in out)
    # hard-wrapped paragraphs are still joined back together
    wrapped = "\n\n".join(textwrap.fill(p, 60) for p in (paras[0], paras[-1]))
    art = clean_document(RawDoc("w.txt", "text", wrapped, wrapped.encode()), day=DAY, min_words=5)
    assert art["text"].split("\n") == [paras[0], paras[-1]]


FIXTURES = Path(__file__).parent / "fixtures" / "chrome"


@pytest.mark.parametrize(
    ("name", "title", "source", "language"),
    [
        ("portal", "Seoul and Canberra sign critical minerals pact", "Xinhua", "en"),
        ("blog", "Why the allotments flooded this spring", None, "en"),
        ("german", "Regierung beschließt neues Waldschutzgesetz", "dpa", "de"),
    ],
)
def test_text_dumps_of_other_sites_keep_exactly_the_article(
    name: str, title: str, source: str | None, language: str
) -> None:
    """Each fixture is a site style of its own (news portal, WordPress blog, German
    news site); the expected file is the article's paragraphs, nothing else."""
    raw = (FIXTURES / f"{name}.txt").read_bytes()
    art = clean_document(RawDoc(f"{name}.txt", "text", raw.decode(), raw), day=DAY)
    assert art["text"] == (FIXTURES / f"{name}.expected.txt").read_text("utf-8").strip()
    assert art["title"] == title
    assert art["source"] == source
    assert art["language"] == language
    assert art["published_at"] is None  # no crawl or "Posted on" stamp taken as the date


def test_extractor_output_loses_title_teasers_and_trailing_related_block() -> None:
    body = [
        "The city council approved the new tram line on Tuesday after a two-year debate over its route.",
        "Construction is due to start next spring and will close parts of the ring road for months.",
        "Opponents said the council had ignored the cost of moving underground pipes along the route.",
        "The first trams are expected to run in 2027, the transport department said in a statement.",
    ]
    text = "\n".join(
        [
            "Council approves tram line",  # the title again
            body[0],
            "Read more: Ring road closures announced for summer",
            "Share this article",
            body[1],
            "Don't miss",
            "Ten best bakeries in town",
            "Mayor opens new library",
            body[2],
            "Subscribe to our newsletter for the latest news.",
            body[3],
            "Related articles",
            "Tram fares to rise in January",
            "Bus drivers vote to strike",
        ]
    )
    out = strip_page_chrome(text, title="Council approves tram line")
    assert out.paragraphs == body


def test_extractor_output_keeps_lists_headings_and_an_early_related_mention() -> None:
    text = "\n".join(
        [
            "Ingredients",
            "- 200 g flour",
            "- 2 eggs",
            "Related",  # a heading early on: the list under it goes, the text stays
            "Pancakes around the world",
            "Mix the flour and the eggs, then let the batter rest for half an hour before frying.",
            "Serve the pancakes warm with lemon and sugar, or with fruit and yoghurt if you prefer.",
        ]
    )
    out = strip_page_chrome(text)
    assert out.paragraphs[:3] == ["Ingredients", "- 200 g flour", "- 2 eggs"]
    assert "Pancakes around the world" not in out.paragraphs
    assert out.paragraphs[-1].startswith("Serve the pancakes warm")


@pytest.mark.parametrize(
    "lines",
    [
        ["Lesen Sie auch: Borkenkäfer breitet sich aus", "Weitere Artikel zum Thema", "Foto: dpa"],
        ["Lea más: El Congreso aprueba la reforma", "Notas relacionadas", "Suscríbete ahora"],
        ["À lire aussi : La réforme adoptée", "Sur le même sujet"],
        ["Czytaj także: Sejm przyjął ustawę", "Polecamy"],
    ],
)
def test_chrome_lines_in_other_languages(lines: list[str]) -> None:
    para = (
        "Dies ist ein ganz normaler Absatz eines Artikels, der bleiben muss, weil er Inhalt trägt."
    )
    out = strip_page_chrome("\n".join([para, *lines, para + " Zwei."]))
    assert out.paragraphs[0] == para
    for line in lines:
        assert line not in out.paragraphs


def test_html_page_related_block_and_non_english_language() -> None:
    paras = "".join(
        f"<p>Le conseil municipal a adopté mardi le projet de tramway numéro {i}, après deux ans "
        "de débats sur son tracé et sur le coût des travaux pour les habitants du quartier.</p>"
        for i in range(4)
    )
    html = (
        "<html lang='fr'><head><title>Le tramway adopté</title></head><body><article>"
        f"<h1>Le tramway adopté</h1>{paras}<p>Partager</p><h2>À lire aussi</h2>"
        "<ul><li><a href='/a'>Les bus en grève</a></li><li><a href='/b'>Le maire inaugure</a></li></ul>"
        "</article></body></html>"
    )
    url = "https://www.exemple.fr/2024/05/13/le-tramway-adopte"
    art = clean_document(RawDoc("fr.html", "html", html, html.encode(), url=url), day=DAY)
    assert art["text"].count("\n") == 3 and "Partager" not in art["text"]
    assert "grève" not in art["text"]
    assert art["language"] == "fr"
    assert art["published_at"].date() == date(2024, 5, 13)  # from the URL path


def test_dates_from_url_and_never_from_the_future() -> None:
    assert date_from_url("https://x.org/news/2024/05/13/story.html") == date(2024, 5, 13)
    assert date_from_url("https://x.org/2019-11-18-story") == date(2019, 11, 18)
    assert date_from_url("https://x.org/article/20240513") == date(2024, 5, 13)
    assert date_from_url("https://x.org/article/12345678") is None
    assert date_from_url("https://x.org/list?day=2024-05-13") is None
    text = "A sentence of news text that is long enough to be kept as an article. " * 3
    doc = RawDoc("t.txt", "text", text, text.encode(), url="https://x.org/2031/01/02/later")
    assert clean_document(doc, day=DAY)["published_at"] is None  # after the ingest day


@pytest.mark.parametrize(
    ("raw", "names"),
    [
        ("By Jane Doe, Staff Reporter", ["Jane Doe"]),
        ("BY JOHN SMITH | Chief Political Correspondent", ["John Smith"]),
        ("By Ana Ruiz and Li Wei", ["Ana Ruiz", "Li Wei"]),
        (["von Hans Meier", "Hans Meier"], ["Hans Meier"]),
    ],
)
def test_authors_lose_by_and_job_titles(raw: str | list[str], names: list[str]) -> None:
    assert clean_authors(raw) == names


@pytest.mark.parametrize(
    ("title", "sitename", "url", "clean"),
    [
        ("Rates on hold | Example News", "Example News", None, "Rates on hold"),
        (
            "Streit ums Feuerholz - www.AussenGedanken.de",
            None,
            "https://aussengedanken.de/a",
            "Streit ums Feuerholz",
        ),
        (
            "Tote Hummeln unter Linden: Die Erklärung | Hummeln",
            None,
            None,
            "Tote Hummeln unter Linden: Die Erklärung",
        ),
        ("Brexit - what happens next", None, None, "Brexit - what happens next"),
        ("Port strike enters third day", None, None, "Port strike enters third day"),
    ],
)
def test_title_loses_the_site_name(
    title: str, sitename: str | None, url: str | None, clean: str
) -> None:
    assert clean_title(title, sitename, url) == clean


@pytest.mark.shared
def test_language_from_the_prefix_is_the_language_of_the_text() -> None:
    """detect_language reads LANGID_CHARS characters: on every ground-truth text of the
    extraction eval sets (several languages) that gives the whole text's language."""
    import json

    import py3langid
    from newsflow.clean.metadata import LANGID_CHARS, detect_language
    from support import EVAL

    texts = []
    for name in ("aeb", "trafilatura_eval"):
        truth = json.loads((EVAL / name / "ground-truth.json").read_text())
        for v in truth.values():
            body = v.get("articleBody") if isinstance(v, dict) else None
            if isinstance(body, str) and len(body) > 3 * LANGID_CHARS:
                texts.append(body)
    assert len(texts) >= 50
    langs = {py3langid.classify(t)[0] for t in texts}
    assert len(langs) >= 4  # not an English-only check
    assert [detect_language(t) for t in texts] == [py3langid.classify(t)[0] for t in texts]


_BROKEN_BODY = (
    "<body><nav><a href='/'>Home</a> <a href='/world'>World</a></nav><article>"
    "<h1>Port strike enters third day</h1>"
    + "".join(
        f"<p>Paragraph {i}: dock workers kept the port closed for another day while talks "
        "between the union and the operators resumed in the city hall.</p>"
        for i in range(5)
    )
    + "</article><footer>(c) Example News</footer></body></html>"
)


@pytest.mark.parametrize(
    "head",
    [
        # bytes missing in the doctype and the title's end tag
        '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" "http://www.w3.org/TR/xh'
        "<html><head><title>Port strike enters third day</titl></head>",
        "<!DOCTYPE html><html><head><title>Port strike enters third day/title></head>",
        "<!DOCTYPE html><html><head><!-- analytics -- <title>Port strike enters third day"
        "</title></head>",
    ],
    ids=["truncated-doctype-and-title", "title-without-end-tag", "comment-never-closed"],
)
def test_a_broken_head_does_not_hide_the_body(head: str) -> None:
    html = head + _BROKEN_BODY
    import trafilatura

    assert not trafilatura.extract(html)  # libxml2 reads the body as the head's text
    art = clean_document(RawDoc("b.html", "html", html, html.encode()), day=DAY)
    assert not isinstance(art, Reject), art
    assert art["text"].count("dock workers kept the port closed") == 5
    assert "Home" not in art["text"] and "Example News" not in art["text"]
    assert art["title"] == "Port strike enters third day"


@pytest.mark.parametrize(
    "teaser", ["Read more:", "READ MORE", "Also read", "See also:", "Read also"]
)
def test_a_read_more_teaser_mid_text_ends_a_block_not_the_article(teaser: str) -> None:
    first = [
        "The harbour authority said on Tuesday that the port would stay closed for a third day.",
        "Dock workers walked out on Sunday after talks on pay broke down late on Saturday night.",
    ]
    rest = [
        "Talks between the union and the operators are due to resume at the city hall on Wednesday.",
        "Shipping lines have started to divert vessels to other ports along the coast, officials said.",
    ]
    text = "\n\n".join(
        [*first, teaser, "Port strike hits exports", "Union leader arrested in the capital", *rest]
    )
    out = strip_chrome(text).paragraphs
    assert out == first + rest


def test_published_precision_says_whether_published_at_has_a_time() -> None:
    from datetime import UTC, datetime

    from newsflow.dates import date_precision

    assert date_precision("2024-05-13") == "day"
    assert date_precision(date(2024, 5, 13)) == "day"
    assert date_precision("2024-05-13T00:00:00Z") == "second"  # midnight, but a time
    assert date_precision(None) is None
    text = "The harbour authority said the port would stay closed for a third day. " * 5
    stamped = RawDoc(
        "a.txt",
        "text",
        text,
        text.encode(),
        published_at=datetime(2024, 5, 13, 0, 0, tzinfo=UTC),
        published_precision="day",  # a sidecar's "2024-05-13"
    )
    art = clean_document(stamped, day=DAY)
    assert (art["published_at"].hour, art["published_precision"]) == (0, "day")
    stamped.published_precision = None  # a timestamp from a feed
    assert clean_document(stamped, day=DAY)["published_precision"] == "second"
    in_url = RawDoc(
        "b.txt", "text", text, text.encode(), url="https://example.com/2024/05/12/port-strike"
    )
    art = clean_document(in_url, day=DAY)
    assert art["published_at"].date() == date(2024, 5, 12) and art["published_precision"] == "day"
    none = clean_document(RawDoc("c.txt", "text", text, text.encode()), day=DAY)
    assert none["published_at"] is None and none["published_precision"] is None
