"""Cross-document chrome evidence: lines that recur on a source's other text dumps."""

from pathlib import Path

import pandas as pd
from newsflow.clean.chrome import strip_chrome
from newsflow.clean.linemodel import word_keys
from newsflow.clean.repeats import LineCounts, SourceLines, boilerplate, source_key
from newsflow.config import load_settings
from newsflow.stages.clean import SOURCE_LINES, clean, plan_clean, source_lines
from newsflow.stages.common import work_dir
from newsflow.stages.ingest import ingest

# Chrome of a made-up site in wordings no generated style uses.
MASTHEAD = "THE NORTHERN LANTERN"
FOOTER = "Northern Lantern Publishing 2024"
BIO = (
    "Ingrid Solberg has reported on fisheries, harbours and coastal towns for the "
    "Northern Lantern since the paper's relaunch."
)
BODIES = [
    [
        "The ferry between the two islands will run twice a day from next month, the "
        "operator said on Monday after a long dispute with the county.",
        "Residents had complained for years that the single evening crossing left "
        "commuters stranded when the weather turned.",
        "The county will pay for the extra crossings until the end of next year.",
    ],
    [
        "A storm flooded the harbour car park overnight and closed the coastal road "
        "north of the town for most of Tuesday morning.",
        "Crews cleared fallen trees from the road by noon, and no one was hurt, the "
        "police said in a statement.",
        "Forecasters expect calmer weather for the rest of the week.",
    ],
    [
        "The town's only cinema will reopen in spring after a volunteer group raised "
        "enough money to replace its roof and seats.",
        "The group plans to show local films on Sundays and rent the hall to schools "
        "during the week.",
        "Tickets for the opening night go on sale in March.",
    ],
    [
        "Fishermen landed the largest cod catch in a decade this season, the harbour "
        "office said, crediting two years of tighter quotas.",
        "Prices at the morning auction fell by a fifth as a result, to the delight of "
        "the town's restaurants.",
        "The quota for next season will be set in December.",
    ],
]


def _dump(body: list[str]) -> str:
    return "\n\n".join([MASTHEAD, *body, BIO, FOOTER])


def _site() -> SourceLines:
    lines = SourceLines()
    for body in BODIES:
        lines.add("lantern", _dump(body))
    return lines


def test_counts_are_per_source_and_leave_the_document_itself_out() -> None:
    lines = _site()
    lines.add("other-site", _dump(BODIES[0]))
    ev = lines.evidence("lantern", _dump(BODIES[0]))
    assert ev is not None and ev.documents == 3
    assert ev.repeats([MASTHEAD, BODIES[0][0], FOOTER.replace("2024", "2025")]) == [3, 0, 3]
    assert lines.evidence("other-site", _dump(BODIES[0])) is None  # its only document
    assert lines.evidence("unknown", _dump(BODIES[0])) is None


def test_counts_survive_saving_and_loading(tmp_path: Path) -> None:
    lines = _site()
    lines.save(tmp_path / "lines.npz")
    loaded = SourceLines.load(tmp_path / "lines.npz")
    for body in BODIES:
        assert loaded.evidence("lantern", _dump(body)) == lines.evidence("lantern", _dump(body))


def test_a_site_recurring_chrome_goes_and_its_articles_stay() -> None:
    lines = _site()
    for body in BODIES:
        text = _dump(body)
        alone = strip_chrome(text).paragraphs
        with_site = strip_chrome(text, evidence=lines.evidence("lantern", text)).paragraphs
        assert with_site == body
        assert set(body) <= set(alone)  # a page alone keeps its article too
        assert len(alone) > len(with_site)  # ... and some of the chrome the site shows


def test_a_score_table_article_keeps_its_rows_with_the_site_known() -> None:
    """A table or list article has no prose before its rows, so the rules put them all
    "before the body"; with the site's pages known, the model (the block's length and
    reach into the body) and the smoothing keep the rows, and the site's chrome goes."""
    table = [
        "Pos. Club Played Won Drawn Lost Points",
        "1 Harbour United 20 15 2 3 47",
        "2 Lantern Rovers 20 14 2 4 44",
        "3 Northport Athletic 20 12 3 5 39",
        "4 Fjord City 20 10 5 5 35",
        "5 Coastal Wanderers 20 9 4 7 31",
        "6 Saltmarsh Town 20 8 4 8 28",
        "The league resumes on Saturday after the winter break, with the top two meeting "
        "at the harbour ground.",
    ]
    lines = _site()
    lines.add("lantern", _dump(table))
    text = _dump(table)
    out = strip_chrome(text, evidence=lines.evidence("lantern", text)).paragraphs
    assert set(table[1:]) <= set(out)
    assert set(out) <= set(table)


def test_an_updated_version_of_a_page_keeps_its_text() -> None:
    """A page whose paragraphs recur too is a copy of another: no line of it is
    boilerplate by recurrence."""
    text = ["A short menu line", *BODIES[0]]
    assert boilerplate(text, LineCounts([3, 3, 3, 3], 3)) == [False] * 4
    assert boilerplate(text, LineCounts([3, 0, 0, 0], 3)) == [True, False, False, False]


def test_a_dump_source_is_its_source_domain_or_inbox_folder() -> None:
    assert source_key("html", "https://a.example/x", None) is None  # the extractor's job
    assert source_key("text", "https://news.example.org/a/b", None) == "news.example.org"
    assert source_key("text", None, "Lantern Wire", "lantern/a.txt") == "Lantern Wire"
    assert source_key("text", None, None, "lantern/a.txt") == "folder:lantern"
    assert source_key("text", None, None, "a.txt") is None  # loose files: no site known


def test_the_clean_stage_counts_the_day_once_for_all_shards(tmp_path: Path) -> None:
    """plan_clean saves the day's counts; every shard cleans with them, so the site's
    chrome goes whichever shard a dump lands in."""
    day = "2024-05-14"
    inbox = tmp_path / "inbox" / day / "lantern"  # one site's dumps, dropped together
    inbox.mkdir(parents=True)
    for i, body in enumerate(BODIES):
        (inbox / f"page-{i}.txt").write_text(_dump(body))
    s = load_settings(
        inbox=str(tmp_path / "inbox"),
        lake=str(tmp_path / "lake"),
        clean_shards=2,
        shard_min_docs=1,
        clean_timeout_seconds=0,
    )
    ingest(s, day)
    shards = plan_clean(s, day)
    assert len(shards) == 2
    saved = SourceLines.load(work_dir(s) / "source_lines" / f"dt={day}" / SOURCE_LINES)
    text = _dump(BODIES[0])
    site = "folder:lantern"
    assert saved.evidence(site, text) == source_lines(s, day).evidence(site, text) is not None
    for shard in shards:
        clean(s, day, shard, len(shards))
    rows = pd.read_parquet(work_dir(s) / "cleaned" / f"dt={day}")
    assert sorted(rows.text) == sorted("\n".join(body) for body in BODIES)


# Per page, a teaser and a tag row in a frame no generated style uses, whose headline
# and topics change from page to page (so neither line recurs as it is).
TEASERS = [
    "Ferries to run on Sundays too (Neste sak)",
    "Coastal road to reopen by Friday (Neste sak)",
    "Volunteers repaint the old lighthouse (Neste sak)",
    "School choir wins regional prize (Neste sak)",
]
TAG_ROWS = [
    "Kartleggja: Ferries, Islands",
    "Kartleggja: Storms, Roads",
    "Kartleggja: Cinema, Culture",
    "Kartleggja: Fishing, Quotas",
]


def _framed(i: int) -> str:
    body = BODIES[i]
    return "\n\n".join([MASTHEAD, body[0], TEASERS[i], *body[1:], TAG_ROWS[i], BIO, FOOTER])


def test_a_frame_that_recurs_with_other_words_is_counted_and_its_lines_go() -> None:
    """A site's teasers and tag rows keep their frame ("... (Neste sak)", "Kartleggja:
    ...") and change their headline or topics: the frame's recurrence is counted
    (``LineEvidence.affixes``) and, with the site's pages known, most such lines go
    while every paragraph stays (the model before the frame feature kept all 8)."""
    lines = SourceLines()
    for i in range(len(BODIES)):
        lines.add("lantern", _framed(i))
    gone = 0
    for i, body in enumerate(BODIES):
        ev = lines.evidence("lantern", _framed(i))
        assert ev is not None
        assert ev.repeats([TEASERS[i], TAG_ROWS[i]]) == [0, 0]
        assert ev.affixes([TEASERS[i], TAG_ROWS[i]]) == [3, 3]
        assert ev.affixes(body[:1]) == [0]
        out = strip_chrome(_framed(i), evidence=ev).paragraphs
        assert set(body) <= set(out)
        gone += (TEASERS[i] not in out) + (TAG_ROWS[i] not in out)
    assert gone >= 5


# A site's menu names its sections; each page shows a row of two of them (no frame
# that recurs: two words), in another combination on every page.
MENU = "Ferries Harbours Weather Fisheries Opinion"
SECTION_ROWS = ["Ferries Weather", "Harbours Fisheries", "Weather Opinion", "Fisheries Ferries"]


def _sectioned(i: int) -> str:
    body = BODIES[i]
    return "\n\n".join([MASTHEAD, MENU, *body[:2], SECTION_ROWS[i], body[2], FOOTER])


def test_the_words_of_a_sites_short_lines_are_counted_and_weighed() -> None:
    """In how many of the site's other pages' short lines each word of a short line
    occurs (``LineEvidence.site_words``): a row of section words in a new combination
    is made of them, an article's short closing line is not; prose lines are not
    counted. With them the rows go and every paragraph stays ("Tickets ... in March."
    had P(chrome) 0.53 without them, over the 0.5 cut)."""
    lines = SourceLines()
    for i in range(len(BODIES)):
        lines.add("lantern", _sectioned(i))
    gone = 0
    for i, body in enumerate(BODIES):
        ev = lines.evidence("lantern", _sectioned(i))
        assert ev is not None
        assert ev.repeats([SECTION_ROWS[i]]) == [0]
        assert ev.site_words([SECTION_ROWS[i], body[0]]) == [(4, 4), None]
        closing = ev.site_words([body[2]])[0]
        assert closing is not None and closing[1] <= 1  # its words: not the site's
        out = strip_chrome(_sectioned(i), evidence=ev).paragraphs
        assert out == body or out == [*body[:2], SECTION_ROWS[i], body[2]]
        gone += SECTION_ROWS[i] not in out
    assert gone >= 3
    # the words of prose paragraphs are not counted
    assert word_keys(BODIES[0][0]) is None and word_keys(SECTION_ROWS[0])


# A bio the site fills in for each page's author: one template, other names and beats.
AUTHORS = [
    ("Ingrid Solberg", "Fisheries"),
    ("Tomas Lund", "Transport"),
    ("Kari Dahl", "Culture"),
    ("Ola Berg", "Weather"),
]


def _bio(i: int) -> str:
    name, beat = AUTHORS[i]
    return (
        f"{name} is a staff writer for the Northern Lantern on the {beat} desk and has "
        "covered the coast since the paper's relaunch."
    )


def test_a_bio_the_site_fills_in_for_each_author_goes_with_the_site_known() -> None:
    """Every page names another author in one bio template (the line itself recurs on
    no other page): its template recurs on the site's other pages with other names, so
    it is the site's boilerplate; the articles' paragraphs (no template shared) stay."""
    pages = ["\n\n".join([MASTHEAD, *body, _bio(i)]) for i, body in enumerate(BODIES)]
    lines = SourceLines()
    for page in pages:
        lines.add("lantern", page)
    for i, (page, body) in enumerate(zip(pages, BODIES, strict=True)):
        ev = lines.evidence("lantern", page)
        assert ev is not None
        assert ev.repeats([_bio(i)]) == [0] and ev.templates([_bio(i)]) == [3]
        out = strip_chrome(page, evidence=ev).paragraphs
        assert _bio(i) not in out
        assert set(body) <= set(out)


def test_an_article_written_from_templates_keeps_its_sentences() -> None:
    """A site that writes every article from one set of templates (results, weather)
    fills the same sentences on every page: over half a page's prose recurs by
    template, so no line of it is boilerplate by template."""
    text = [f"{BIO} Extra words to make it prose.", *BODIES[0]]
    assert boilerplate(text, LineCounts([0, 0, 0, 0], 3, [3, 3, 3, 0])) == [False] * 4
    assert boilerplate(text, LineCounts([0, 0, 0, 0], 3, [3, 0, 0, 0])) == [
        True,
        False,
        False,
        False,
    ]


TOUR = [
    "The choir will tour the coast this summer for the first time since the harbour "
    "festival was cancelled, its director said on Friday.",
    "Tickets go on sale next week, and the dates are:",
    "June 12 -- Harbour Hall, Northport",
    "June 14 -- St Olaf's Church, Saltmarsh",
]
TOUR_AFTER_BOX = [
    "June 19 -- Lantern Theatre, Fjord City",
    "June 21 -- Old Customs House, Coastal Bay",
    "June 26 -- Market Square, Northport",
    "July 3 -- Lighthouse Gardens, Saltmarsh",
]
BOX = ["Related stories", "Storm closes the coastal road", "Cinema to reopen in spring"]


def test_the_articles_own_list_after_a_box_in_mid_text_stays() -> None:
    """A box of headlines set in the middle of the article (a mobile page's) makes the
    rules list the rest of the article's list under the box's heading: the items share
    a frame ("June 0 -- A, A") with each other and not with the site's other pages, so
    with the site known they stay; the box's headlines (each in its own words) go."""
    page = "\n\n".join([MASTHEAD, *TOUR, *BOX, *TOUR_AFTER_BOX, BIO, FOOTER])
    lines = _site()
    lines.add("lantern", page)
    out = strip_chrome(page, evidence=lines.evidence("lantern", page)).paragraphs
    assert set(TOUR + TOUR_AFTER_BOX) <= set(out)
    assert not set(BOX) & set(out)


STAGES = [
    "Stage 1 – Northport to Saltmarsh, 182 km",
    "Stage 2 – Saltmarsh to Fjord City, 164 km",
    "Stage 3 – Fjord City to Coastal Bay, 201 km",
    "Stage 4 – Coastal Bay to Lantern, 96 km",
    "Stage 5 – Lantern to Northport, 143 km",
]


def test_a_list_article_with_no_prose_above_its_rows_keeps_them() -> None:
    """A race's stages with no paragraph above them: the rules put every row before the
    body and the model dropped two of five; the rows share a frame ("A 0 –") that the
    site's other pages do not show, so with the site known they stay, and the site's
    masthead and footer still go."""
    page = "\n\n".join([MASTHEAD, "Coastal tour 2025", *STAGES, FOOTER])
    lines = _site()
    lines.add("lantern", page)
    out = strip_chrome(page, evidence=lines.evidence("lantern", page)).paragraphs
    assert set(STAGES) <= set(out)
    assert MASTHEAD not in out and FOOTER not in out


def test_a_list_article_and_its_updated_copy_both_keep_their_rows() -> None:
    """The same race's stages on two pages of the site (the first version and an
    update with one more stage): each row's frame recurs on the other page, on no more
    pages than most rows of the list recur on whole (``repeats``): the article's text
    recurring, not the site's chrome. Every row stays on both pages, the new fifth
    stage too (a calendar and its update lost every row on both)."""
    first = "\n\n".join([MASTHEAD, "Coastal tour 2025", *STAGES[:4], FOOTER])
    update = "\n\n".join([MASTHEAD, "Coastal tour 2025", *STAGES, FOOTER])
    lines = _site()
    lines.add("lantern", first)
    lines.add("lantern", update)
    for page, stages in ((first, STAGES[:4]), (update, STAGES)):
        ev = lines.evidence("lantern", page)
        assert ev is not None
        assert ev.affixes(STAGES[:4]) == [1] * 4 == ev.repeats(STAGES[:4])
        out = strip_chrome(page, evidence=ev).paragraphs
        assert set(stages) <= set(out)
        assert MASTHEAD not in out and FOOTER not in out


# The site's name with a section or year, in a new combination on every page, set
# where a mobile page repeats its masthead: in the text and at the bottom.
MASTHEAD_ROWS = [
    "Northern Lantern - Weather",
    "NORTHERN LANTERN 2019",
    "Northern Lantern - Ferries",
    "Northern Lantern Fisheries",
]
# A short line of the article's own, naming its subject (words the site's short
# lines hold on no other page).
SUBHEADINGS = ["Extra crossings", "Road reopened", "Roof and seats", "Tighter quotas"]


def _repeated_masthead(i: int) -> str:
    body = BODIES[i]
    rows = [MASTHEAD, MENU, body[0], MASTHEAD_ROWS[i], SUBHEADINGS[i], *body[1:], FOOTER]
    return "\n\n".join(rows)


def test_a_short_line_made_of_the_sites_own_words_goes_with_the_site_known() -> None:
    """A short line each of whose words the site prints in the short lines of two or
    more of its other pages is its name, sections or labels in another combination
    (``repeats.SITE_WORDS_MAX``): it is boilerplate whatever the model says; the
    article's subheading, named for its subject, stays."""
    lines = SourceLines()
    for i in range(len(BODIES)):
        lines.add("lantern", _repeated_masthead(i))
    for i, body in enumerate(BODIES):
        page = _repeated_masthead(i)
        ev = lines.evidence("lantern", page)
        assert ev is not None
        assert ev.repeats([MASTHEAD_ROWS[i]]) == [0]
        assert ev.site_words([MASTHEAD_ROWS[i]]) == [(4, 4)]
        out = strip_chrome(page, evidence=ev).paragraphs
        assert MASTHEAD_ROWS[i] not in out
        # the subheading and the paragraphs stay (a closing sentence naming the
        # weather, a section of the site's menu, is the model's call: P(chrome) 0.82)
        assert out[:3] == [body[0], SUBHEADINGS[i], body[1]]
    rows = [MASTHEAD_ROWS[0], SUBHEADINGS[0], BODIES[0][0]]
    words = [(4, 4), (1, 0), None]
    assert boilerplate(rows, LineCounts([0, 0, 0], 3, site_words=words)) == [True, False, False]
    assert boilerplate(rows, LineCounts([0, 0, 0], 3)) == [False, False, False]
