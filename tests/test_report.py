"""The day's report: its HTML escapes every string that comes from the crawled documents,
and ``write_report`` writes the day's one report folder (HTML and text) atomically."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path

from newsflow import report
from newsflow.lake.figures import DayDetail, DayRow
from support import lake_files

DAY = "2024-05-14"
# markup, quotes, an ampersand, and mathtext dollars: an entity name or source the crawl
# could bring in, to be shown as text, literally
EVIL = "<script>alert(\"x\")</script> $\\frac{a}{b}$ & 'q'"


class _Page(HTMLParser):
    """The page as a browser would read it: the text of each table cell by table id,
    every element's attributes, and whether any <script> element exists."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.cells: dict[str, list[str]] = {}
        self.attrs: list[dict[str, str | None]] = []
        self.tags: set[str] = set()
        self._table: str | None = None
        self._cell: list[str] | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.attrs.append(dict(attrs))
        if tag == "table":
            self._table = dict(attrs).get("id")
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self._table:
            self.cells.setdefault(self._table, []).append("".join(self._cell))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def test_strings_from_the_documents_are_escaped() -> None:
    row = DayRow(day=DAY, inputs=3, articles=2, rejects=1, duplicates=1, entities=4)
    detail = DayDetail(
        row=row,
        top_entities=[(EVIL, "ORG", 2, 3), ("Lyon", EVIL, 1, 1)],
        top_sources=[(EVIL, 2, 1)],
        top_stories=[(EVIL, "2024-05-13", 2, 1, 3, 2)],
        languages=[(EVIL, 2)],
        reject_reasons=[(EVIL, 1)],
        rejects=[(EVIL, "clean", f"{EVIL}: too short", 10)],
        versions={"newsflow": EVIL},
    )
    html = report.render_html(
        [row],
        detail,
        {"volume.png": b"\x89PNG"},
        day_href=lambda d: f'?day={d}" onclick="alert(1)',
        run_href=lambda d: EVIL,
    )
    assert "<script" not in html and 'onclick="' not in html
    page = _Page(html)
    assert "script" not in page.tags
    # each string reads back exactly as it was, as text: escaped, not interpreted
    assert page.cells["entities"][5:7] == [EVIL, "ORG"]
    assert page.cells["entities"][11] == EVIL  # the second entity's label
    assert page.cells["sources"][4] == EVIL
    assert page.cells["stories"][7:10] == [EVIL, "2024-05-13", "2"]
    assert page.cells["languages"][3] == EVIL
    assert page.cells["rejects"][4:7] == [EVIL, "clean", f"{EVIL}: too short"]
    hrefs = [a["href"] for a in page.attrs if "href" in a]
    assert hrefs == [EVIL, f'?day={DAY}" onclick="alert(1)', EVIL]
    assert not any("onclick" in a for a in page.attrs)


def test_the_report_folder_holds_the_page_and_the_summary(tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    runs = lake / "_runs" / f"dt={DAY}"
    runs.mkdir(parents=True)
    counts = {"articles": 2, "rejects": 1, "duplicates": 1, "entities": 4}
    (runs / "manifest.json").write_text(json.dumps({"day": DAY, "inputs": 3, "counts": counts}))

    folder = report.write_report(lake, DAY)
    assert folder == lake / "_reports" / f"dt={DAY}"
    assert (folder / report.TEXT).read_text() == report.summary(lake, DAY) + "\n"
    assert 'id="n-articles">2<' in (folder / report.HTML).read_text()
    written = lake_files(lake)
    assert written == [
        f"_reports/dt={DAY}/{name}"
        for name in sorted(
            [report.HTML, report.TEXT, "entities.png", "languages.png", "sources.png", "volume.png"]
        )
    ] + [f"_runs/dt={DAY}/manifest.json"]

    # a rewrite replaces the folder whole and leaves no scratch behind
    (folder / "stale.txt").write_text("from an older report")
    assert report.write_report(lake, DAY) == folder
    assert lake_files(lake) == written
