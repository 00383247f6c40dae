"""Property-based tests (hypothesis) for URL canonicalisation, text normalisation,
decoding, the sources format and the lake writer."""

import string
from pathlib import Path

import pyarrow as pa
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from newsflow.clean.metadata import normalise_text
from newsflow.clean.urls import canonical_url
from newsflow.ids import content_hash, normalise_for_hash
from newsflow.ingest.decode import decode_bytes
from newsflow.ingest.remote import parse_sources
from newsflow.lake.partition import read_partition, write_partition

segment = st.text(string.ascii_lowercase + string.digits + "-", min_size=1, max_size=12)
hosts = st.builds(lambda a, b: f"{a}.{b}", segment, st.sampled_from(["com", "org", "co.uk", "de"]))
paths = st.lists(segment, min_size=1, max_size=4).map(lambda p: "/" + "/".join(p))
tracking = st.sampled_from(
    ["utm_source=x", "utm_medium=email", "utm_campaign=spring", "fbclid=abc"]
)


@given(hosts, paths)
def test_canonical_url_is_idempotent_and_https(host: str, path: str) -> None:
    c = canonical_url(f"http://{host}{path}")
    assert c is not None and c.startswith("https://")
    assert canonical_url(c) == c


@given(hosts, paths, st.lists(tracking, max_size=3), st.booleans(), st.booleans(), segment)
def test_spelling_variants_of_one_url_collapse(
    host: str, path: str, params: list[str], www: bool, slash: bool, frag: str
) -> None:
    base = canonical_url(f"https://{host}{path}")
    variant = (
        f"{'HTTP' if www else 'https'}://{'www.' if www else ''}{host.upper() if slash else host}"
    )
    variant += path + ("/" if slash else "")
    if params:
        variant += "?" + "&".join(params)
    variant += f"#{frag}"
    assert canonical_url(variant) == base


@given(st.text(max_size=300))
@example(text="á\x80\x0c0")  # a form feed hid mojibake from ftfy's first look
@example(text="\x80\r\x8cß")  # so did a carriage return
def test_normalise_text_is_idempotent_and_tidy(text: str) -> None:
    once = normalise_text(text)
    assert normalise_text(once) == once
    assert "\r" not in once and "\n\n" not in once
    assert all(line == line.strip() and "  " not in line for line in once.split("\n"))


@given(
    st.lists(st.text(string.ascii_letters + "éüß", min_size=1, max_size=8), min_size=1, max_size=30)
)
def test_hash_ignores_case_spacing_and_punctuation(words: list[str]) -> None:
    a = " ".join(words)
    b = "  \n".join(w.upper() + "," for w in words)
    assert normalise_for_hash(a) == normalise_for_hash(normalise_for_hash(a))
    assert content_hash(a) == content_hash(b)


printable = st.text(
    st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\ufeff"),
    min_size=1,
    max_size=200,
)


@given(printable, st.sampled_from(["utf-8", "utf-16", "utf-8-sig"]))
def test_decode_round_trips_unicode(text: str, encoding: str) -> None:
    assert decode_bytes(text.encode(encoding)) == text


@given(
    st.lists(st.tuples(st.sampled_from(["feed", "sitemap", "url", ""]), hosts, paths), max_size=8)
)
def test_sources_lines_round_trip(entries: list[tuple[str, str, str]]) -> None:
    lines = [f"{k} https://{h}{p}".strip() for k, h, p in entries]
    got = parse_sources(["# header", *lines, ""])
    assert [(s.kind, s.url) for s in got] == [
        (k or "url", f"https://{h}{p}") for k, h, p in entries
    ]


SCHEMA = pa.schema([("k", pa.string()), ("v", pa.int64()), ("b", pa.binary())])
rows = st.lists(
    st.fixed_dictionaries(
        {
            "k": st.one_of(st.none(), st.text(max_size=20)),
            "v": st.one_of(st.none(), st.integers(-(2**63), 2**63 - 1)),
            "b": st.one_of(st.none(), st.binary(max_size=50)),
        }
    ),
    max_size=40,
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(first=rows, second=rows, batch=st.integers(1, 7))
def test_lake_writer_round_trips_and_replaces(
    tmp_path: Path, first: list, second: list, batch: int
) -> None:
    day = "2024-05-14"
    for data in (first, second):
        batches = [
            pa.RecordBatch.from_pylist(data[i : i + batch], schema=SCHEMA)
            for i in range(0, len(data), batch)
        ]
        write_partition(tmp_path, "t", day, batches, SCHEMA, row_group_size=5)
        assert read_partition(tmp_path, "t", day).to_pylist() == data
    files = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file())
    assert files == [f"t/dt={day}/part-0.parquet"]  # the second write replaced the first
