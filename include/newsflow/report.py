"""What a day of the lake looks like: a plain-text summary (CLI, task logs) and a
self-contained HTML report with PNG charts, written to ``LAKE/_reports/dt=D/``.

The HTML page is also what the Airflow UI view serves (``plugins/newsflow_lake.py``),
with links to the DAG runs added, so the report and the UI cannot disagree.
"""

from __future__ import annotations

import base64
import html
import io
import os
import uuid
from collections.abc import Callable
from pathlib import Path

from newsflow.lake import figures, storage
from newsflow.lake.figures import DayDetail, DayRow
from newsflow.lake.partition import partition_dir, swap_in

REPORTS = "_reports"
TREND_DAYS = 100  # the overview chart and table show at most this many days


def days(lake: str | os.PathLike[str]) -> list[str]:
    runs = storage.lake_path(lake) / "_runs"
    return sorted(p.name[3:] for p in runs.glob("dt=*") if (p / "manifest.json").exists())


def summary(lake: str | os.PathLike[str], day: str, *, top: int = 10) -> str:
    """Counts from the manifest, top entities and sources, and where the files are."""
    d = figures.day_detail(lake, day, top=top)
    r = d.row
    lines = [
        f"newsflow {d.versions.get('newsflow', '?')} — {day}",
        f"  inputs {r.inputs}  articles {r.articles}  rejects {r.rejects}  "
        f"duplicates {r.duplicates}  entities {r.entities}",
        f"  inputs == articles + rejects: {r.checks_ok}",
        "  stage timings: " + ", ".join(f"{s} {v:.2f}s" for s, v in d.stage_seconds.items()),
        f"  stories {r.stories}  languages {r.languages}  duplicate rate {r.duplicate_rate:.1%}",
        "  top entities: "
        + "; ".join(f"{k} ({lbl}, {n})" for k, lbl, n, _ in d.top_entities[:top]),
        "  top sources: " + "; ".join(f"{s} ({n})" for s, n, _ in d.top_sources[:top]),
    ]
    if d.reject_reasons:
        lines.append("  rejects by reason: " + ", ".join(f"{c} {n}" for c, n in d.reject_reasons))
    lines.append(
        f"  Parquet: {lake}/{{articles,entities,duplicates,rejects,entity_counts}}/dt={day}/"
    )
    return "\n".join(lines)


# ---------------------------------------------------------------- charts (matplotlib)


def _png(fig) -> bytes:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=96, metadata={"Software": None})
    plt.close(fig)
    return buf.getvalue()


def _figure(width: float, height: float):
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(width, height))
    ax.spines[["top", "right"]].set_visible(False)
    return fig, ax


def chart_volume(rows: list[DayRow]) -> bytes:
    """Per day: originals, duplicates and rejects stacked; the duplicate rate on the right."""
    fig, ax = _figure(9, 3.2)
    x = list(range(len(rows)))
    orig = [r.articles - r.duplicates for r in rows]
    dup = [r.duplicates for r in rows]
    rej = [r.rejects for r in rows]
    # one filled step artist per series (not a patch per bar): fast for 100+ days
    edges = [v - 0.5 for v in x] + [len(rows) - 0.5]
    base = [0] * len(rows)
    for values, color, label in (
        (orig, "#4c78a8", "articles (originals)"),
        (dup, "#f58518", "duplicates"),
        (rej, "#e45756", "rejects"),
    ):
        top = [a + b for a, b in zip(base, values, strict=True)]
        ax.stairs(top, edges, baseline=base, fill=True, color=color, label=label)
        base = top
    ax.set_ylabel("inputs")
    step = max(1, len(rows) // 10)
    ax.set_xticks(x[::step], [r.day for r in rows][::step], rotation=30, ha="right", fontsize=8)
    rate = ax.twinx()
    rate.plot(
        x,
        [100 * r.duplicate_rate for r in rows],
        color="#54a24b",
        marker="." if len(rows) < 40 else None,
        label="duplicate rate %",
    )
    rate.set_ylabel("duplicate rate %")
    rate.set_ylim(0, 100)
    rate.spines[["top"]].set_visible(False)
    handles = ax.get_legend_handles_labels()[0] + rate.get_legend_handles_labels()[0]
    ax.legend(
        handles=handles,
        loc="upper left",
        fontsize=8,
        ncol=4,
        frameon=False,
        bbox_to_anchor=(0, 1.15),
    )
    fig.subplots_adjust(left=0.07, right=0.93, bottom=0.24, top=0.86)
    return _png(fig)


def _literal(label: str) -> str:
    """``label`` as matplotlib draws it literally: a pair of "$" would start mathtext
    (a source named "$\\foo{x}$ Gazette" failed the whole report); an escaped "\\$"
    is drawn as "$"."""
    return label.replace("$", r"\$")


def chart_bars(pairs: list[tuple[str, int]], xlabel: str, color: str = "#4c78a8") -> bytes:
    """Horizontal bars, largest on top."""
    pairs = pairs[:15]
    fig, ax = _figure(3.9, 0.3 * max(len(pairs), 3) + 0.6)
    labels = [_literal(p[0] if len(p[0]) <= 28 else p[0][:27] + "…") for p in pairs][::-1]
    ax.barh(labels, [p[1] for p in pairs][::-1], color=color)
    ax.set_xlabel(xlabel)
    ax.tick_params(axis="y", labelsize=8)
    height = fig.get_figheight()
    fig.subplots_adjust(left=0.42, right=0.96, top=1 - 0.15 / height, bottom=0.5 / height)
    return _png(fig)


def charts(rows: list[DayRow], detail: DayDetail) -> dict[str, bytes]:
    """Every chart of a report, as PNG bytes by file name."""
    return {"volume.png": chart_volume(rows), **day_charts(detail)}


def day_charts(detail: DayDetail) -> dict[str, bytes]:
    """The charts of one day (the trend chart is separate: it spans many days)."""
    return {
        "entities.png": chart_bars([(k, n) for k, _, n, _ in detail.top_entities], "articles"),
        "sources.png": chart_bars(
            [(s, n) for s, n, _ in detail.top_sources], "articles", "#72b7b2"
        ),
        "languages.png": chart_bars(detail.languages, "articles", "#b279a2"),
    }


# ---------------------------------------------------------------- HTML

_CSS = """
body{font:14px/1.4 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:16px 24px;color:#1d2433}
h1{font-size:20px;margin:0 0 4px} h2{font-size:16px;margin:22px 0 6px}
table{border-collapse:collapse;font-size:13px} th,td{padding:3px 8px;border-bottom:1px solid #e3e6ec;text-align:right}
th{background:#f3f5f8;position:sticky;top:0} td.l,th.l{text-align:left}
tr.sel td{background:#fff6d5} .cards{display:flex;gap:10px;flex-wrap:wrap;margin:10px 0}
.card{border:1px solid #dfe3ea;border-radius:6px;padding:8px 14px;min-width:92px}
.card b{display:block;font-size:22px} .card span{color:#5b6475;font-size:12px}
.grid{display:flex;gap:24px;flex-wrap:wrap;align-items:flex-start} .muted{color:#5b6475;font-size:12px}
.scroll{max-height:360px;overflow:auto;border:1px solid #e3e6ec} .bad{color:#b42318;font-weight:600}
a{color:#175cd3} .bar{height:10px;border-radius:2px}
"""


def _img(name: str, png: bytes, alt: str) -> str:
    data = base64.b64encode(png).decode("ascii")
    return f'<img id="chart-{name.split(".")[0]}" alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'


def _bar_table(
    table_id: str,
    heading: str,
    columns: list[str],
    rows: list[tuple],
    *,
    bar: int | None = None,
    color: str = "#4c78a8",
) -> str:
    """A small table; with ``bar``, that numeric column also gets a proportional bar."""
    e = html.escape
    top = max((r[bar] for r in rows), default=0) if bar is not None else 0

    def cell(tag: str, v: object, left: bool) -> str:
        text = f"{v:.2f}" if isinstance(v, float) else str(v)
        return f"<{tag}{' class=l' if left else ''}>{e(text)}</{tag}>"

    left = [not isinstance(v, int | float) for v in rows[0]] if rows else [True] * len(columns)
    head = "".join(cell("th", c, lft) for c, lft in zip(columns, left, strict=True))
    out = [f"<div><h2>{e(heading)}</h2><table id={table_id}><tr>{head}"]
    out.append("<th></th></tr>" if bar is not None else "</tr>")
    for r in rows:
        cells = "".join(cell("td", v, lft) for v, lft in zip(r, left, strict=True))
        if bar is not None:
            width = round(120 * r[bar] / top) if top else 0
            cells += (
                f'<td class=l><div class=bar style="width:{width}px;background:{color}"></div></td>'
            )
        out.append(f"<tr>{cells}</tr>")
    out.append("</table></div>")
    return "".join(out)


def render_html(
    rows: list[DayRow],
    detail: DayDetail,
    pngs: dict[str, bytes],
    *,
    day_href: Callable[[str], str] | None = None,
    run_href: Callable[[str], str | None] | None = None,
    title: str = "newsflow lake",
) -> str:
    """One HTML page: cards for the day, the trend chart, the per-day table, the day's
    top entities/sources/languages and its rejects with reasons. Charts are data URIs,
    so the file is self-contained. ``day_href``/``run_href`` add links (UI view)."""
    e = html.escape
    r = detail.row
    cards = [
        ("inputs", r.inputs),
        ("articles", r.articles),
        ("rejects", r.rejects),
        ("duplicates", r.duplicates),
        ("duplicate rate", f"{r.duplicate_rate:.1%}"),
        ("stories", r.stories),
        ("languages", r.languages),
        ("entity mentions", r.entities),
    ]
    out = [
        f"<!doctype html><html lang=en><head><meta charset=utf-8><title>{e(title)} — {e(r.day)}</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>{e(title)} — <span id=day>{e(r.day)}</span></h1>",
        f"<div class=muted>run finished {e(r.finished_at)} · newsflow {e(detail.versions.get('newsflow', '?'))}"
        + ("" if r.checks_ok else " · <span class=bad>inputs != articles + rejects</span>"),
    ]
    link = run_href(r.day) if run_href else None
    if link:
        out.append(f' · <a id=run-link href="{e(link)}" target=_top>DAG run</a>')
    out.append("</div><div class=cards>")
    for label, value in cards:
        key = label.replace(" ", "-")
        out.append(
            f'<div class=card><b id="n-{key}">{e(str(value))}</b><span>{e(label)}</span></div>'
        )
    out.append("</div>")
    out.append(
        f"<h2>Last {len(rows)} day{'s' if len(rows) != 1 else ''}</h2>{_img('volume.png', pngs['volume.png'], 'inputs per day')}"
    )
    # top lists as tables with inline bars (HTML/CSS, no image to render: the page stays
    # fast uncached); the same lists are also written as PNG charts beside the report
    out.append("<div class=grid>")
    out.append(
        _bar_table(
            "entities",
            "Top entities",
            ["entity", "label", "articles", "mentions"],
            [(k, lbl, a, m) for k, lbl, a, m in detail.top_entities],
            bar=2,
        )
    )
    out.append(
        _bar_table(
            "sources",
            "Top sources",
            ["source", "articles", "duplicates"],
            detail.top_sources,
            bar=1,
            color="#72b7b2",
        )
    )
    out.append(
        _bar_table(
            "languages",
            "Languages",
            ["language", "articles"],
            detail.languages,
            bar=1,
            color="#b279a2",
        )
    )
    out.append(
        _bar_table(
            "stages",
            "Stage timings",
            ["stage", "seconds"],
            list(detail.stage_seconds.items()),
        )
    )
    out.append("</div>")

    reasons = ", ".join(f"{e(c)} {n}" for c, n in detail.reject_reasons) or "none"
    out.append(
        f"<h2>Rejects of this run ({r.rejects})</h2><div class=muted>by reason: {reasons}</div>"
    )
    out.append(
        "<div class=scroll><table id=rejects><tr><th class=l>input</th><th class=l>stage</th><th class=l>reason</th><th>bytes</th></tr>"
    )
    out += [
        f"<tr><td class=l>{e(u)}</td><td class=l>{e(s)}</td><td class=l>{e(why)}</td><td>{n}</td></tr>"
        for u, s, why, n in detail.rejects
    ]
    out.append("</table></div>")

    out.append(
        "<h2>Days</h2><div class=scroll><table id=days><tr><th class=l>day</th><th>inputs</th><th>articles</th><th>rejects</th><th>duplicates</th><th>dup. rate</th><th>stories</th><th>languages</th><th class=l>run</th></tr>"
    )
    for row in reversed(rows):
        day_cell = f'<a href="{e(day_href(row.day))}">{e(row.day)}</a>' if day_href else e(row.day)
        run = run_href(row.day) if run_href else None
        run_cell = f'<a href="{e(run)}" target=_top>run</a>' if run else ""
        sel = " class=sel" if row.day == r.day else ""
        out.append(
            f"<tr{sel}><td class=l>{day_cell}</td><td>{row.inputs}</td><td>{row.articles}</td><td>{row.rejects}</td>"
            f"<td>{row.duplicates}</td><td>{row.duplicate_rate:.1%}</td><td>{row.stories}</td><td>{row.languages}</td><td class=l>{run_cell}</td></tr>"
        )
    out.append("</table></div></body></html>")
    return "\n".join(out)


def build(
    lake: str | os.PathLike[str], day: str
) -> tuple[list[DayRow], DayDetail, dict[str, bytes]]:
    """The figures and charts of ``day``: the trend covers up to TREND_DAYS days before it."""
    rows = [r for r in figures.overview(lake) if r.day <= day][-TREND_DAYS:]
    detail = figures.day_detail(lake, day)
    return rows, detail, charts(rows, detail)


def write_report(lake: str | os.PathLike[str], day: str) -> Path:
    """Write ``LAKE/_reports/dt=DAY/`` (report.html with inline charts, and the same
    charts as PNG files) atomically: built in ``LAKE/_tmp``, swapped in by rename."""
    rows, detail, pngs = build(lake, day)
    final = partition_dir(lake, REPORTS, day)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = storage.lake_path(lake) / "_tmp" / f"{REPORTS}.dt={day}.tmp-{uuid.uuid4().hex}"
    tmp.mkdir(parents=True)
    try:
        for name, png in pngs.items():
            (tmp / name).write_bytes(png)
        (tmp / "report.html").write_text(render_html(rows, detail, pngs), encoding="utf-8")
        swap_in(tmp, final)
    except BaseException:
        storage.remove_tree(tmp)
        raise
    finally:
        storage.remove_empty(storage.lake_path(lake) / "_tmp")
    return final / "report.html"
