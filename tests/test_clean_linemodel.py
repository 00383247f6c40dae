"""The learned line model for text dumps (issue 19): chrome the hand rules miss goes,
article paragraphs stay, an article resumed after a box dumped in mid-text stays, and
the shipped weights match the features the code makes."""

from newsflow.clean import linemodel
from newsflow.clean.chrome import rule_verdicts, split_lines, strip_chrome

BODY = [
    "The harbour authority said on Tuesday that the port would stay closed for a third day.",
    "Dock workers walked out on Sunday after talks on pay broke down late on Saturday night.",
    "Talks between the union and the operators are due to resume at the city hall on Wednesday.",
    "Shipping lines have started to divert vessels to other ports along the coast, officials said.",
]
# chrome the rules alone keep (a share row, a byline box, a footer) or drop only as
# "before the body" (a consent line), worded unlike any template the model trained on
CHROME = [
    "Your privacy choices: cookies personalise ads and measure traffic",
    "Facebook · WhatsApp · E-Mail",
    "Tom Baker | Shipping reporter, Harbour Post",
    "About us | Contact | Jobs | Privacy policy",
]


def _dump(chrome: list[str]) -> str:
    return "\n\n".join([chrome[0], chrome[1], *BODY, chrome[2], chrome[3]])


def test_the_model_drops_chrome_the_rules_keep_and_keeps_the_article() -> None:
    rules = strip_chrome(_dump(CHROME), model=False).paragraphs
    assert any(c in rules for c in CHROME)  # the rules alone leak some of it
    assert strip_chrome(_dump(CHROME)).paragraphs == BODY


def test_probabilities_are_per_line_and_separate_chrome_from_body() -> None:
    lines = split_lines(_dump(CHROME))
    verdicts, _ = rule_verdicts(lines)
    probs = linemodel.chrome_probabilities(lines, verdicts)
    assert len(probs) == len(lines)
    body = [p for line, p in zip(lines, probs, strict=True) if line in BODY]
    chrome = [p for line, p in zip(lines, probs, strict=True) if line in CHROME]
    assert max(body) < 0.5 < min(chrome)


def test_a_sentence_the_rules_kept_is_never_dropped_by_the_model_alone() -> None:
    """The documented trade-off: a line of 12 words or more that ends like a sentence
    stays when the rules kept it, so a bio or a consent sentence may leak, but a short
    closing paragraph of an article is never lost to the model."""
    sentences = [
        "We care about your privacy and use cookies to personalise ads and measure traffic.",
        "Tom Baker is a business reporter at the Harbour Post covering shipping and trade.",
    ]
    out = strip_chrome(_dump([sentences[0], CHROME[1], sentences[1], CHROME[3]])).paragraphs
    assert out == [sentences[0], *BODY, sentences[1]]


def test_the_article_resumes_after_a_related_box_in_mid_text() -> None:
    """The rules end the article at a related-articles heading that follows it; the
    model finds the paragraphs after the box's headlines, which stay dropped."""
    box = ["Most read", "Port strike hits exports", "Union leader arrested in the capital"]
    dump = "\n\n".join([*BODY[:2], *box, *BODY[2:], "© 2024 Harbour Post"])
    assert strip_chrome(dump, model=False).paragraphs == BODY[:2]
    assert strip_chrome(dump).paragraphs == BODY


def test_a_list_after_a_related_heading_stays_dropped() -> None:
    """Bulleted items past a related-articles heading are other articles' headlines,
    not the article's own list, even where the model would keep a list item."""
    dump = "\n\n".join([*BODY, "Related", "- Port strike hits exports", "- Union leader arrested"])
    assert strip_chrome(dump).paragraphs == BODY


def test_weights_file_is_shipped_and_well_formed() -> None:
    weights, intercept = linemodel._weights()
    assert weights and all(0 <= k < linemodel.DIM for k in weights)
    assert isinstance(intercept, float)
    cuts = linemodel.model_cuts()
    assert set(cuts) >= {"text", "list_item", "before_body", "related"}
    assert all(0.0 < c < 1.0 for c in cuts.values())
