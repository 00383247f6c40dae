"""The entity benchmarks' loaders and exact-span scoring (the benchmarks run by their
own commands; these checks keep their scoring honest). Synthetic inputs only."""

import importlib.util
import sys

from support import REPO


def _load(name: str):
    spec = importlib.util.spec_from_file_location(name, REPO / "benchmarks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


uner = _load("uner_news")
gum = _load("entities")

IOB2 = """# newdoc id = n00001
# sent_id = n00001-0001
# text = Ms Lane met Acme Corp. staff in Plano, Texas.
1\tMs\tO\t-\t-
2\tLane\tB-PER\t-\tx
3\tmet\tO\t-\t-
4\tAcme\tB-ORG\t-\tx
5\tCorp.\tI-ORG\t-\tx
6\tstaff\tO\t-\t-
7\tin\tO\t-\t-
8\tPlano\tB-LOC\t-\tx
9\t,\tI-LOC\t-\tx
10\tTexas\tI-LOC\t-\tx
11\t.\tO\t-\t-

# sent_id = n00001-0002
# text = Lane’s firm grew.
1\tLane\tB-PER\t-\tx
2\t’s\tO\t-\t-
3\tfirm\tO\t-\t-
4\tgrew\tO\t-\t-
5\t.\tO\t-\t-

# newdoc id = w00001
# sent_id = w00001-0001
# text = Paris is a city.
1\tParis\tB-LOC\t-\tx
2\tis\tO\t-\t-
3\ta\tO\t-\t-
4\tcity\tO\t-\t-
5\t.\tO\t-\t-
"""


def test_uner_loader_keeps_news_documents_with_exact_offsets(tmp_path) -> None:
    path = tmp_path / "sample.iob2"
    path.write_text(IOB2, encoding="utf-8")
    (doc,) = uner.load(path)  # the Wikipedia document (w…) is left out
    assert doc.doc_id == "n00001"
    assert doc.text == "Ms Lane met Acme Corp. staff in Plano, Texas. Lane’s firm grew."
    assert [(doc.text[s:e], label) for s, e, label in doc.names] == [
        ("Lane", "PER"),
        ("Acme Corp.", "ORG"),
        ("Plano, Texas", "LOC"),
        ("Lane", "PER"),
    ]


def test_uner_score_is_exact_and_maps_labels(tmp_path) -> None:
    path = tmp_path / "sample.iob2"
    path.write_text(IOB2, encoding="utf-8")
    (doc,) = uner.load(path)
    t = doc.text
    pred = [
        (t.index("Lane"), t.index("Lane") + 4, "PERSON"),  # right
        (t.index("Acme"), t.index("Acme") + 4, "ORG"),  # boundary wrong
        (t.index("Plano"), t.index("Texas") + 5, "GPE"),  # GPE counts as LOC
        (t.rindex("Lane"), t.rindex("Lane") + 4, "ORG"),  # label wrong
        (0, 2, "NORP"),  # a label UNER has no type for: left out
    ]
    rows = uner.score([doc], [pred])
    assert (rows["all"].tp, rows["all"].pred, rows["all"].gold) == (2, 4, 4)
    assert rows["PER"].tp == 1 and rows["ORG"].tp == 0 and rows["LOC"].tp == 1


def test_gum_exact_spans_are_gums_own_boundaries() -> None:
    text = "Yesterday U.S. President Donald Trump's aides met."
    start = text.index("U.S.")
    gold = {
        "label": "person",
        "start": start,
        "end": text.index(" aides"),
        "minspan_start": start,
        "minspan_end": text.index("'s"),
        "head_start": text.index("Donald"),
        "head_end": text.index("Donald") + 6,
    }
    spans = {text[s:e] for s, e in gum.exact_spans(gold, text)}
    assert spans == {"U.S. President Donald Trump's", "U.S. President Donald Trump", "Donald Trump"}
    place = "Flights left Cape Canaveral, Florida today."
    gold = {
        "label": "place",
        "start": place.index("Cape"),
        "end": place.index(" today"),
        "minspan_start": place.index("Cape"),
        "minspan_end": place.index(" today"),
        "head_start": place.index("Canaveral"),
        "head_end": place.index(","),
    }
    spans = {place[s:e] for s, e in gum.exact_spans(gold, place)}
    assert spans == {"Cape Canaveral, Florida", "Canaveral", "Cape Canaveral"}
