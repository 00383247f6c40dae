import gzip
import json
from pathlib import Path

import pytest
from newsflow.ingest import iter_inbox
from newsflow.ingest.decode import decode_bytes, looks_binary
from newsflow.records import RawDoc, Reject

PAGE = "<html><head><title>T</title></head><body><p>Hello world</p></body></html>"


def _items(d: Path, **kw) -> dict[str, RawDoc | Reject]:
    return {i.source_uri: i for i in iter_inbox(d, **kw)}


def test_every_format_and_every_input_accounted_for(tmp_path: Path) -> None:
    (tmp_path / "a.html").write_text(PAGE)
    (tmp_path / "a.json").write_text(
        json.dumps(
            {"url": "https://ex.com/a", "source": "Ex", "published_at": "2024-05-13T10:00:00Z"}
        )
    )
    (tmp_path / "b.txt").write_text("Some plain text.")
    (tmp_path / "c.jsonl").write_text(
        '{"text": "first", "url": "https://ex.com/1"}\n'
        "{broken json\n"
        "\n"
        '{"title": "no body"}\n'
        '{"html": "<p>x</p>", "published_at": "2024-05-01"}\n'
    )
    with gzip.open(tmp_path / "d.txt.gz", "wb") as f:
        f.write(b"zipped text")
    (tmp_path / "e.html").write_bytes(b"")
    (tmp_path / "f.pdf").write_bytes(b"%PDF-1.4")
    (tmp_path / "sub dir").mkdir()
    (tmp_path / "sub dir" / "Überblick Wahl.txt").write_text("nested text")
    (tmp_path / ".hidden.txt").write_text("ignored")

    items = _items(tmp_path)
    assert set(items) == {
        "a.html", "b.txt", "c.jsonl#L1", "c.jsonl#L2", "c.jsonl#L4", "c.jsonl#L5",
        "d.txt.gz", "e.html", "f.pdf", "sub dir/Überblick Wahl.txt",
    }  # fmt: skip
    a = items["a.html"]
    assert isinstance(a, RawDoc) and a.kind == "html"
    assert (a.url, a.source, a.published_at.isoformat()) == (
        "https://ex.com/a", "Ex", "2024-05-13T10:00:00+00:00",
    )  # fmt: skip
    assert items["d.txt.gz"].content == "zipped text"
    assert items["c.jsonl#L5"].kind == "html"
    # a date-only published_at is kept as a day, not read as midnight
    assert (a.published_precision, items["c.jsonl#L5"].published_precision) == ("second", "day")
    codes = {u: i.code for u, i in items.items() if isinstance(i, Reject)}
    assert codes == {
        "c.jsonl#L2": "bad_json", "c.jsonl#L4": "missing_text", "e.html": "empty",
        "f.pdf": "unsupported_format",
    }  # fmt: skip
    assert items["c.jsonl#L2"].raw == b"{broken json"
    assert "Traceback" not in items["c.jsonl#L2"].reason


def test_truncated_gzip_and_binary_are_rejected_with_their_bytes(tmp_path: Path) -> None:
    blob = gzip.compress(b"x" * 10_000)
    (tmp_path / "cut.txt.gz").write_bytes(blob[: len(blob) // 2])
    noise = bytes(range(256)) * 8
    (tmp_path / "noise.html").write_bytes(noise)
    items = _items(tmp_path)
    assert items["cut.txt.gz"].code == "bad_gzip"
    with items["cut.txt.gz"].raw_source.open() as f:  # the whole file, read by the sink
        assert f.read() == blob[: len(blob) // 2]
    assert items["noise.html"].code == "not_text"
    assert items["noise.html"].raw == noise


def test_size_cap(tmp_path: Path) -> None:
    (tmp_path / "big.txt").write_text("word " * 1000)
    (items,) = iter_inbox(tmp_path, max_bytes=100)
    assert isinstance(items, Reject) and items.code == "too_large"


def test_missing_day_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="does not exist"):
        list(iter_inbox(tmp_path / "nope"))


@pytest.mark.parametrize(
    ("raw", "html", "expected"),
    [
        ("Grüße aus Köln".encode("cp1252"), False, "Grüße aus Köln"),
        ("Grüße".encode("utf-16"), False, "Grüße"),
        ("\ufeffBOM text".encode(), False, "BOM text"),
        (
            b'<meta charset="iso-8859-1"><p>caf\xe9</p>',
            True,
            '<meta charset="iso-8859-1"><p>café</p>',
        ),
    ],
)
def test_decoding(raw: bytes, html: bool, expected: str) -> None:
    assert decode_bytes(raw, html=html) == expected


def test_binary_detection() -> None:
    assert looks_binary(b"\x00\x01\x02abc")
    assert not looks_binary(b"plain text")
    assert not looks_binary("utf16".encode("utf-16"))
