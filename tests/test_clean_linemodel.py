"""The learned line model for text dumps (issue 19): chrome the hand rules miss goes,
article paragraphs stay, and the shipped weights match the features the code makes."""

from newsflow.clean import linemodel
from newsflow.clean.chrome import rule_verdicts, split_lines, strip_chrome

BODY = [
    "The harbour authority said on Tuesday that the port would stay closed for a third day.",
    "Dock workers walked out on Sunday after talks on pay broke down late on Saturday night.",
    "Talks between the union and the operators are due to resume at the city hall on Wednesday.",
    "Shipping lines have started to divert vessels to other ports along the coast, officials said.",
]
# chrome the rules alone keep: a consent banner, a share row, a bio and a footer line,
# worded unlike any template the model was trained on
CHROME = [
    "We care about your privacy and use cookies to personalise ads and measure traffic.",
    "Facebook · WhatsApp · E-Mail",
    "Tom Baker is a business reporter at the Harbour Post covering shipping and trade.",
    "About us | Contact | Jobs | Privacy policy",
]


def _dump() -> str:
    return "\n\n".join([CHROME[0], CHROME[1], *BODY[:2], *BODY[2:], CHROME[2], CHROME[3]])


def test_the_model_drops_chrome_the_rules_keep_and_keeps_the_article() -> None:
    rules = strip_chrome(_dump(), model=False).paragraphs
    assert any(c in rules for c in CHROME)  # the rules alone leak some of it
    assert strip_chrome(_dump()).paragraphs == BODY


def test_probabilities_are_per_line_and_separate_chrome_from_body() -> None:
    lines = split_lines(_dump())
    verdicts, _ = rule_verdicts(lines)
    probs = linemodel.chrome_probabilities(lines, verdicts)
    assert len(probs) == len(lines)
    body = [p for line, p in zip(lines, probs, strict=True) if line in BODY]
    chrome = [p for line, p in zip(lines, probs, strict=True) if line in CHROME]
    assert max(body) < 0.5 < min(chrome)


def test_weights_file_is_shipped_and_well_formed() -> None:
    weights, intercept = linemodel._weights()
    assert weights and all(0 <= k < linemodel.DIM for k in weights)
    assert isinstance(intercept, float)
