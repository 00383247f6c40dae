from dataclasses import replace
from datetime import UTC, datetime

from newsflow.config import Settings
from newsflow.stories import StoryInput, StoryParams, cluster_stories, story_key, year_of

DEFAULTS = StoryParams.from_settings(Settings())  # the configured weights

SUMMIT = (
    "Prime Minister Fumio Kishida met Vietnamese President Vo Van Thuong in Tokyo on Monday. "
    "The two leaders agreed to raise ties to a comprehensive strategic partnership and to "
    "cooperate on security as China expands its presence in the South China Sea."
)
SUMMIT_2 = (
    "Japanese leader Fumio Kishida and Vietnam's President Vo Van Thuong upgraded relations "
    "to a comprehensive strategic partnership at talks in Tokyo, pledging security "
    "cooperation amid concern over China in the South China Sea."
)
SUMMIT_OTHER = (
    "Fumio Kishida held talks with Ferdinand Marcos in Manila on Friday about a reciprocal "
    "access agreement for troops, days after coast guard vessels collided near a shoal."
)
FLOOD = "Floods forced hundreds from their homes in Cologne as the Rhine rose, the Red Cross said."

SUMMIT_KEYS = frozenset(
    {"PERSON:fumio kishida", "PERSON:vo van thuong", "country:JP", "country:VN", "country:CN"}
)


def test_independent_reports_of_one_event_share_a_story() -> None:
    a = StoryInput("a", None, SUMMIT_KEYS | {"GPE:tokyo"}, SUMMIT, "en")
    b = StoryInput("b", None, SUMMIT_KEYS | {"GPE:tokyo"}, SUMMIT_2, "en")
    flood = StoryInput("c", None, frozenset({"country:DE", "GPE:cologne", "ORG:red cross"}), FLOOD)
    out = cluster_stories([a, b, flood], DEFAULTS)
    assert out["a"] == out["b"] != out["c"]
    assert cluster_stories([flood, b, a], DEFAULTS) == out  # input order does not matter


def test_same_kind_of_event_with_other_actors_is_another_story() -> None:
    a = StoryInput("a", None, SUMMIT_KEYS, SUMMIT, "en")
    other_keys = frozenset({"PERSON:fumio kishida", "PERSON:ferdinand marcos", "country:PH"})
    b = StoryInput("b", None, other_keys | {"country:CN"}, SUMMIT_OTHER, "en")
    out = cluster_stories([a, b], DEFAULTS)
    assert out["a"] != out["b"]


def test_years_apart_are_different_stories() -> None:
    a = StoryInput("a", None, SUMMIT_KEYS, SUMMIT + " It was their first meeting since 2013.")
    b = StoryInput("b", None, SUMMIT_KEYS, SUMMIT_2 + " The talks took place in 2023.")
    assert year_of(a) == 2013 and year_of(b) == 2023
    p = DEFAULTS
    assert len(set(cluster_stories([a, b], replace(p, year_penalty=0)).values())) == 1
    assert len(set(cluster_stories([a, b], replace(p, year_penalty=50)).values())) == 2


def test_time_window() -> None:
    a = StoryInput("a", datetime(2024, 5, 1, tzinfo=UTC), SUMMIT_KEYS, SUMMIT)
    b = StoryInput("b", datetime(2024, 5, 20, tzinfo=UTC), SUMMIT_KEYS, SUMMIT_2)
    p = DEFAULTS
    out = cluster_stories([a, b], replace(p, window_days=3))
    assert out["a"] != out["b"]
    out = cluster_stories([a, b], replace(p, window_days=30, year_penalty=0))
    assert out["a"] == out["b"]


def test_other_language_relies_on_entities() -> None:
    fr = (
        "Le Premier ministre Fumio Kishida a reçu le président vietnamien Vo Van Thuong à "
        "Tokyo lundi; les deux pays renforcent leur partenariat face à la Chine."
    )
    a = StoryInput("a", None, SUMMIT_KEYS | {"GPE:tokyo"}, SUMMIT, "en")
    b = StoryInput(
        "b", None, frozenset({"PERSON:fumio kishida", "country:JP", "country:VN"}), fr, "fr"
    )
    assert len(set(cluster_stories([a, b], DEFAULTS).values())) == 1
    no_help = replace(DEFAULTS, cross_language_text=0.0)
    assert len(set(cluster_stories([a, b], no_help).values())) == 2


def test_story_keys_unify_countries() -> None:
    assert story_key("Japan", "GPE", "JP") == story_key("Japanese", "NORP", "JP") == "country:JP"
    assert story_key("Monday", "DATE", None) is None


def _random_day(n: int, seed: int) -> list[StoryInput]:
    """Articles drawn from a Zipf vocabulary, some about shared events (their own rare
    words and people), in two languages, a few with dates far apart."""
    import random

    rng = random.Random(seed)
    vocab = [f"w{k}" for k in range(20_000)]
    weights = [1 / (k + 1) for k in range(len(vocab))]
    events = [
        ([f"e{e}x{k}" for k in range(12)], [f"PERSON:p{e}_{k}" for k in range(3)])
        for e in range(n // 4)
    ]
    people = [f"PERSON:q{k}" for k in range(40)]
    places = [f"country:{c}" for c in ("US", "GB", "FR", "JP", "DE", "CN")]
    out = []
    for a in range(n):
        words = rng.choices(vocab, weights, k=rng.randint(150, 400))
        keys = set(rng.sample(people, rng.randint(0, 2))) | set(rng.sample(places, 2))
        if rng.random() < 0.7:
            ev_words, ev_people = rng.choice(events)
            words += rng.sample(ev_words, rng.randint(2, 10))
            keys |= set(rng.sample(ev_people, rng.randint(1, 3)))
        when = datetime(2024, 5, rng.choice([1, 2, 3, 20]), tzinfo=UTC)
        lang = "fr" if rng.random() < 0.1 else "en"
        out.append(StoryInput(f"a{a:04d}", when, frozenset(keys), " ".join(words), lang))
    return out


def test_blocking_keeps_the_links_and_drops_most_pairs() -> None:
    """Scoring only the blocked candidates gives the same scores as scoring every pair,
    finds nearly all of its links (reports of one event share their heaviest words or
    people), and scores a small share of the pairs."""
    import numpy as np
    from newsflow.stories import _Scorer

    arts = sorted(_random_day(600, seed=3), key=lambda a: a.article_id)
    for params in (
        DEFAULTS,
        replace(DEFAULTS, weight_people=5.0, weight_orgs=1.0, threshold=0.3),
        replace(DEFAULTS, block_terms=5, block_people=1, max_posting=20),
    ):
        scorer = _Scorer(arts, params)
        n = len(arts)
        idx = np.arange(n)
        # every pair scored densely (the same evidence as the candidates' path)
        z = scorer.block(idx)
        linked = np.triu(z >= params.threshold, 1)
        # where the text constant alone links two languages, a shared person is needed
        la, lb = scorer.lang[:, None], scorer.lang[None, :]
        people = (scorer.f["people"] @ scorer.f["people"].T).toarray()
        linked &= ~((la > 0) & (lb > 0) & (la != lb)) | (people > 0)
        rows, cols = np.nonzero(linked)
        want = set(zip(rows.tolist(), cols.tolist(), strict=True))
        i, j, zz = scorer.linked_pairs(params.threshold)
        got = set(zip(i.tolist(), j.tolist(), strict=True))
        assert got <= want
        np.testing.assert_allclose(1 / (1 + np.exp(-zz)), z[i, j], rtol=1e-5, atol=1e-5)
        recall = len(got) / len(want)
        candidates = sum(len(ci) for ci, _ in scorer.candidates())
        if params.max_posting >= 1_000:
            assert len(want) > 300 and recall >= 0.95, (params, recall)
            assert candidates < n * (n - 1) / 2 / 4, (params, candidates)  # ~20%
        else:  # a tight block finds fewer: the blocking is what decides, not a bound
            assert recall < 0.95 and candidates < n * (n - 1) / 2 / 20


def test_two_incidents_told_in_the_same_words_share_no_rare_word() -> None:
    """Identical words, but no rare word shared (the features of a window where the
    shared words are common: a city's crime desk): two incidents. The same articles
    without the rare-word gate are one story, so the gate is what separates them."""
    from scipy import sparse

    arts = [StoryInput(a, None, frozenset(), "", "en") for a in ("a", "b")]
    same = sparse.csr_matrix([[1.0, 0.0], [1.0, 0.0]], dtype="float32")
    zero = sparse.csr_matrix((2, 1), dtype="float32")
    features = {"text": same, "body": same, "people": zero, "orgs": zero, "places": zero}
    apart = features | {"rare": sparse.csr_matrix([[1.0, 0.0], [0.0, 1.0]], dtype="float32")}
    out = cluster_stories(arts, DEFAULTS, apart, min_body=0.03, min_rare=0.02)
    assert out["a"] != out["b"]
    assert len(set(cluster_stories(arts, DEFAULTS, apart, 0.03, 0.0).values())) == 1
    shared = features | {"rare": same}
    assert len(set(cluster_stories(arts, DEFAULTS, shared, 0.03, 0.02).values())) == 1


def test_chunks_and_slabs_bound_memory_not_results() -> None:
    """Ranking terms a few rows at a time and dense blocks a few rows at a time give
    the clusters and the link probabilities of the whole day at once."""
    import numpy as np
    from newsflow.stories import _Scorer

    arts = _random_day(300, seed=5)
    whole = cluster_stories(arts, DEFAULTS)
    assert len(set(whole.values())) < len(arts) - 20  # real clusters, not singletons
    assert cluster_stories(arts, replace(DEFAULTS, chunk_rows=7)) == whole
    scorer = _Scorer(sorted(arts, key=lambda a: a.article_id), DEFAULTS)
    idx = np.arange(0, 300, 2)
    np.testing.assert_array_equal(scorer.block(idx, slab_cells=1), scorer.block(idx))


def test_components_scored_in_one_block_get_the_cells_of_their_own() -> None:
    """A dense block of several components (cluster_stories batches the small ones)
    holds, for each, exactly the cells of its block alone."""
    import numpy as np
    from newsflow.stories import _Scorer

    arts = sorted(_random_day(300, seed=5), key=lambda a: a.article_id)
    scorer = _Scorer(arts, DEFAULTS)
    parts = [np.arange(0, 30, 3), np.arange(100, 140, 2), np.array([7, 250, 299])]
    whole = scorer.block(np.concatenate(parts))
    at = 0
    for idx in parts:
        end = at + len(idx)
        np.testing.assert_array_equal(whole[at:end, at:end], scorer.block(idx))
        at = end


def test_numbers_in_a_text_leave_out_years_decimals_and_sums() -> None:
    from newsflow.stories import numbers_in

    text = (
        "A 32-year-old woman was shot in the 1,500 block of Water Street in 2024; "
        "bail was set at $650,000, turnout 12.5 percent, 7 people hurt."
    )
    # and what each counts: the word after it
    assert numbers_in(text) == {"number:32", "unit:year-old", "number:1500", "unit:block"}
    assert numbers_in("No numbers here, nor in 1999.") == frozenset()


STREETS = ["Water Street", "Madison Avenue", "Elm Street", "Oak Street", "Hill Road"]


def _desk(n: int) -> tuple[list[StoryInput], list[int]]:
    """A crime desk's day: ``n`` shootings on a few streets, each told twice in two
    house styles, the same spokesperson and hospital in every brief; only the numbers
    (an age, a block) and the street tell the incidents apart."""
    keys = frozenset({"PERSON:dana wells", "ORG:riverton general hospital"})
    arts, gold = [], []
    for k in range(n):
        age, block, street = 18 + k, 100 * (k + 1), STREETS[k % len(STREETS)]
        first = (
            f"A {age}-year-old man was shot and wounded Sunday night in the {block} block "
            f"of {street}, police said. The victim was taken to Riverton General Hospital. "
            "Sgt. Dana Wells said detectives were reviewing surveillance video."
        )
        second = (
            f"Police said a {age}-year-old man was wounded by gunfire on {street} on "
            f"Sunday, in the {block} block. He is at Riverton General Hospital, and Sgt. "
            "Dana Wells asked anyone with information to call Crime Stoppers."
        )
        for j, text in enumerate((first, second)):
            arts.append(StoryInput(f"i{k:02d}-{j}", None, keys | {f"FAC:{street}"}, text, "en"))
            gold.append(k)
    return arts, gold


def _pairwise_precision(out: dict[str, str], arts: list[StoryInput], gold: list[int]) -> float:
    story = [out[a.article_id] for a in arts]
    pairs = [(i, j) for i in range(len(arts)) for j in range(i) if story[i] == story[j]]
    return sum(gold[i] == gold[j] for i, j in pairs) / max(1, len(pairs))


def test_incidents_told_in_the_same_words_are_other_stories() -> None:
    """A crime desk's briefs: with the house style's words weighing nothing (each is in
    half the briefs: over ``text_max_df``) nearly every story is one incident's two
    reports; weighing them as before (0.5), the style and the shared names chain
    incidents together."""
    arts, gold = _desk(30)
    out = cluster_stories(arts, DEFAULTS)
    assert _pairwise_precision(out, arts, gold) >= 0.9
    assert sum(out[f"i{k:02d}-0"] == out[f"i{k:02d}-1"] for k in range(30)) >= 27
    old = replace(DEFAULTS, text_max_df=0.5)
    assert _pairwise_precision(cluster_stories(arts, old), arts, gold) < 0.5


def test_numbers_shared_or_conflicting_move_the_link_score() -> None:
    """The same texts: sharing a number adds ``number_agree``; both giving numbers and
    sharing none subtracts ``number_conflict``, and ``unit_conflict`` more when they
    count the same thing (both give an age); one giving none changes nothing."""
    import numpy as np
    from newsflow.stories import _Scorer
    from scipy import sparse

    arts = [StoryInput(a, None, frozenset(), "", "en") for a in "abcd"]
    one = sparse.csr_matrix(np.ones((4, 1), "float32"))
    zero = sparse.csr_matrix((4, 1), dtype="float32")
    # a and b share a number; c gives another one (of another thing), d another age
    numbers = sparse.csr_matrix([[1, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1]], dtype="float32")
    units = sparse.csr_matrix([[1, 0], [1, 0], [0, 1], [1, 0]], dtype="float32")
    f = {"text": one, "people": zero, "orgs": zero, "places": zero}
    f |= {"numbers": numbers, "units": units}
    got = _Scorer(arts, DEFAULTS, f).block(np.arange(4))
    logit = np.log(got / (1 - got))
    base = DEFAULTS.bias + DEFAULTS.weight_text
    agree, conflict = DEFAULTS.number_agree, DEFAULTS.number_conflict
    assert DEFAULTS.unit_conflict > 0
    np.testing.assert_allclose(
        [logit[0, 1], logit[0, 2], logit[0, 3]],
        [base + agree, base - conflict, base - conflict - DEFAULTS.unit_conflict],
    )
    f["numbers"] = sparse.csr_matrix([[1, 0, 0], [0, 0, 0], [0, 1, 0], [0, 0, 1]], dtype="float32")
    f["units"] = sparse.csr_matrix([[1, 0], [0, 0], [0, 1], [1, 0]], dtype="float32")
    got = _Scorer(arts, DEFAULTS, f).block(np.arange(4))
    np.testing.assert_allclose(np.log(got / (1 - got))[0, 1], base)


def test_a_key_most_articles_name_weighs_nothing() -> None:
    """On a day of 60 articles the spokesperson every brief quotes is no evidence."""
    from newsflow.stories import _features

    arts = [
        StoryInput(f"a{k:02d}", None, frozenset({"PERSON:dana wells", f"PERSON:victim {k}"}), "x")
        for k in range(60)
    ]
    kept = _features(arts, 0.5, max_key_df=1.0)["people"]
    cut = _features(arts, 0.5, max_key_df=0.2)["people"]
    assert (kept @ kept.T)[0, 1] > 0.0  # the shared spokesperson alone
    assert (cut @ cut.T)[0, 1] == 0.0


def test_a_dropped_text_keeps_its_year() -> None:
    """The stories stage drops a text once hashed; the year it mentions still counts."""
    a = StoryInput("a", None, SUMMIT_KEYS, SUMMIT + " It was their first meeting since 2013.")
    assert year_of(replace(a, text="", mentioned_year=2013)) == year_of(a) == 2013


def test_name_keys_take_the_words_of_the_people_and_those_the_headline_has() -> None:
    from newsflow.stories import name_keys

    keys = {"PERSON:reggie bush", "PERSON:sean payton", "ORG:new orleans saints"}
    got = name_keys(keys, "Saints place Bush on injured reserve")
    assert got == {"pname:reggie", "pname:bush", "pname:sean", "pname:payton", "tname:bush"}
    assert name_keys({"ORG:saints"}, "Saints place Bush on injured reserve") == set()


def test_capitalised_words_are_names_not_sentence_starts_stop_words_or_days() -> None:
    from newsflow.stories import capitalised_words

    text = "Police said. On Monday Elm Street was closed by the Riverton police (AP)."
    assert capitalised_words(text) == {"elm", "street", "riverton"}
    head = "Reid Enters Rehab"
    assert capitalised_words(head, sentence_starts=True) == {"reid", "enters", "rehab"}


def test_headline_names_are_the_capitalised_words_the_body_writes_too() -> None:
    """A street no tagger labelled a person is a headline name when the body names it;
    a Title Case headline's common words are not (its body writes them in lower case)."""
    from newsflow.stories import name_keys

    got = name_keys(
        set(), "Shooting on Elm Street leaves one dead", "A man was shot on Elm Street."
    )
    assert {k for k in got if k.startswith("tname:")} == {"tname:elm", "tname:street"}
    got = name_keys(set(), "Tara Reid Enters Rehab", "Actress Tara Reid entered rehab on Monday.")
    assert {k for k in got if k.startswith("tname:")} == {"tname:tara", "tname:reid"}


def _report(aid: str, street: str, hood: str) -> StoryInput:
    text = (
        f"Shooting on {street} leaves one dead\nA man was shot and killed on {street} in the "
        f"{hood} neighborhood on Monday night, Riverton police said. Witnesses told "
        "officers they heard several shots."
    )
    return StoryInput(aid, None, frozenset({"PERSON:dana wells"}), text, "en")


def test_headlines_naming_other_streets_are_two_stories_with_no_tagged_names() -> None:
    """Two reports from one template about shootings on two streets: the tagger found
    no name in them but the spokesperson, so only the capitalised words the headlines
    and bodies share tell the incidents apart."""
    arts = [_report("a", "Elm Street", "Northside"), _report("b", "Cedar Lane", "Eastgate")]
    assert len(set(cluster_stories(arts, DEFAULTS).values())) == 2
    off = cluster_stories(arts, replace(DEFAULTS, name_conflict=0.0, slot_conflict=0.0))
    assert len(set(off.values())) == 1  # the template wins without the names and slots
    same = [_report("x", "Elm Street", "Northside"), _report("y", "Elm Street", "Northside")]
    res = cluster_stories(same, DEFAULTS)
    assert res["x"] == res["y"]


VIGIL = (
    "Dozens of people gathered on {street} to remember {name}, who was killed in a shooting "
    "there. Mayor Linda Chen attended the vigil and called for an end to gun violence. "
    "Family members lit candles and released balloons near the spot where {first} was shot."
)


def _vigil(aid: str, name: str, street: str) -> StoryInput:
    text = f"Vigil held for {name}\n" + VIGIL.format(
        street=street, name=name, first=name.split()[0]
    )
    keys = frozenset({f"PERSON:{name.lower()}", "PERSON:linda chen", f"FAC:{street.lower()}"})
    return StoryInput(aid, None, keys, text, "en")


def test_headlines_naming_other_people_are_two_stories_however_alike_the_texts() -> None:
    """Vigils for two victims written from one template (the mayor in both): only the
    headlines' names tell them apart. Two reports whose headlines name one person in
    two ways ("Bush", "Reggie Bush") are not held apart by it."""
    arts = [
        _vigil("a", "James Marshall", "Elm Street"),
        _vigil("b", "Ashley Hunter", "Oak Street"),
        _vigil("c", "Rosa Crawford", "Hill Road"),
    ]
    out = cluster_stories(arts, DEFAULTS)
    assert len(set(out.values())) == 3
    off = cluster_stories(arts, replace(DEFAULTS, name_conflict=0.0, slot_conflict=0.0))
    assert len(set(off.values())) == 1  # without the names' evidence the template wins
    text = "The Saints placed {} on injured reserve with a sprained knee, coach Sean Payton said."
    one = frozenset({"PERSON:reggie bush", "PERSON:sean payton", "ORG:saints"})
    same = [
        StoryInput("x", None, one, "Saints place Bush on IR\n" + text.format("Bush"), "en"),
        StoryInput("y", None, one, "Reggie Bush to IR\n" + text.format("Reggie Bush"), "en"),
    ]
    res = cluster_stories(same, DEFAULTS)
    assert res["x"] == res["y"]


def test_row_order_is_the_lexsort_of_rows_values_largest_first_and_columns() -> None:
    import numpy as np
    from newsflow.stories import row_order

    rng = np.random.default_rng(0)
    for dtype in (np.float32, np.float64):
        rows = rng.integers(0, 30, 2_000)
        # few distinct values (ties), both zeros and both signs
        values = rng.choice(np.array([0.0, -0.0, 0.5, -1.5, 2.0, np.inf], dtype), 2_000)
        columns = rng.integers(0, 50, 2_000).astype(np.int32)
        assert np.array_equal(row_order(rows, values, None), np.lexsort((-values, rows)))
        want = np.lexsort((columns, -values, rows))
        assert np.array_equal(row_order(rows, values, columns), want)


def test_capital_words_found_as_any_word_that_opens_with_a_capital() -> None:
    from newsflow.stories import capitalised_words

    text = "3Rd-Ave met O’Neil, _Smith and éric Élodie. 12-Main 'Quinn x_Yard a.Bee"
    assert capitalised_words(text) == {"rd", "ave", "neil", "smith", "élodie", "main"}


def test_pair_dots_do_not_depend_on_the_chunks() -> None:
    import numpy as np
    from newsflow.stories import pair_dots
    from scipy import sparse

    a = sparse.random(50, 400, density=0.1, format="csr", dtype=np.float32, random_state=1)
    b = sparse.random(60, 400, density=0.02, format="csr", dtype=np.float32, random_state=2)
    rng = np.random.default_rng(0)
    i, j = rng.integers(0, 50, 3_000), rng.integers(0, 60, 3_000)
    want = (a[i].multiply(b[j])).sum(axis=1).A.ravel()
    for entries in (1, 37, 1 << 21):
        np.testing.assert_array_equal(pair_dots(a, b, i, j, entries), want)
    assert len(pair_dots(a, b, i[:0], j[:0])) == 0
