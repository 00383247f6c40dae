"""What a day of the lake looks like: a plain-text summary and a self-contained HTML
page with PNG charts, written together to the day's report folder ``LAKE/_reports/dt=D/``
by ``write_report`` (called by publish and ``newsflow report``).

The HTML comes from the Jinja2 templates in ``newsflow/templates``; the Airflow UI view
(``plugins/newsflow_lake.py``) renders the same page with links to the DAG runs added,
so the report and the UI cannot disagree.
"""

from __future__ import annotations

import base64
import io
import os
import uuid
from collections.abc import Callable
from pathlib import Path

from jinja2 import Environment, PackageLoader, StrictUndefined

from newsflow.lake import figures, storage
from newsflow.lake.figures import DayDetail, DayRow
from newsflow.lake.partition import partition_dir, swap_in

REPORTS = "_reports"
HTML = "report.html"  # the page, charts inline
TEXT = "report.txt"  # the text summary
TREND_DAYS = 100  # the overview chart and table show at most this many days


def days(lake: str | os.PathLike[str]) -> list[str]:
    """The published days (those with a manifest), oldest first: what there is to report."""
    runs = storage.lake_path(lake) / "_runs"
    return sorted(p.name[3:] for p in runs.glob("dt=*") if (p / "manifest.json").exists())


def summary(lake: str | os.PathLike[str], day: str, *, top: int = 10) -> str:
    """Counts from the manifest, top entities and sources, and where the files are."""
    return _summary(lake, figures.day_detail(lake, day, top=top), top=top)


def _summary(lake: str | os.PathLike[str], d: DayDetail, *, top: int = 10) -> str:
    """The text summary of an already computed day (``write_report`` has one)."""
    r = d.row
    lines = [
        f"newsflow {d.versions.get('newsflow', '?')} — {r.day}",
        f"  inputs {r.inputs}  articles {r.articles}  rejects {r.rejects}  "
        f"duplicates {r.duplicates}  entities {r.entities}",
        f"  inputs == articles + rejects: {r.checks_ok}",
        "  stage timings: " + ", ".join(f"{s} {v:.2f}s" for s, v in d.stage_seconds.items()),
        f"  stories {r.stories}  languages {r.languages}  duplicate rate {r.duplicate_rate:.1%}",
        "  top entities: "
        + "; ".join(f"{k} ({lbl}, {n})" for k, lbl, n, _ in d.top_entities[:top]),
        "  top sources: " + "; ".join(f"{s} ({n})" for s, n, _ in d.top_sources[:top]),
        "  top stories: "
        + "; ".join(
            f"{t} ({today} today, since {first})" for t, first, _, today, _, _ in d.top_stories[:3]
        ),
    ]
    if d.reject_reasons:
        lines.append("  rejects by reason: " + ", ".join(f"{c} {n}" for c, n in d.reject_reasons))
    lines.append(
        f"  Parquet: {lake}/{{articles,entities,duplicates,rejects,entity_counts,stories}}/dt={r.day}/"
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


# ---------------------------------------------------------------- HTML (Jinja2)


def _cell(value: object) -> str:
    """A table cell's text: seconds with two decimals, everything else as is."""
    return f"{value:.2f}" if isinstance(value, float) else str(value)


# Built once: the templates are parsed on first use and cached by the environment. Every
# template here is HTML, so autoescape is on for all of them: entity names, sources,
# labels and reject reasons come from crawled documents.
_TEMPLATES = Environment(
    loader=PackageLoader("newsflow", "templates"),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_TEMPLATES.filters.update(
    b64=lambda data: base64.b64encode(data).decode("ascii"),
    cell=_cell,
    percent=lambda share: f"{share:.1%}",
)


def render_html(
    rows: list[DayRow],
    detail: DayDetail,
    pngs: dict[str, bytes],
    *,
    day_href: Callable[[str], str] | None = None,
    run_href: Callable[[str], str | None] | None = None,
    title: str = "newsflow lake",
) -> str:
    """One HTML page (``templates/report.html.j2``): cards for the day, the trend chart,
    the per-day table, the day's top entities/sources/languages and its rejects with
    reasons. Charts are data URIs, so the file is self-contained. ``day_href``/``run_href``
    add links (UI view)."""
    return _TEMPLATES.get_template("report.html.j2").render(
        rows=rows,
        detail=detail,
        pngs=pngs,
        day_href=day_href,
        run_href=run_href,
        title=title,
    )


def build(
    lake: str | os.PathLike[str], day: str
) -> tuple[list[DayRow], DayDetail, dict[str, bytes]]:
    """The figures and charts of ``day``: the trend covers up to TREND_DAYS days before it."""
    rows = [r for r in figures.overview(lake) if r.day <= day][-TREND_DAYS:]
    detail = figures.day_detail(lake, day)
    return rows, detail, charts(rows, detail)


def write_report(lake: str | os.PathLike[str], day: str) -> Path:
    """Write the day's report folder ``LAKE/_reports/dt=DAY/``: report.html (charts
    inline), report.txt (the text summary) and the charts as PNG files. Atomically: the
    folder is built in ``LAKE/_tmp`` and swapped in by rename, so a reader sees the old
    report or the new one, never a mix. Returns the folder."""
    rows, detail, pngs = build(lake, day)
    final = partition_dir(lake, REPORTS, day)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = storage.lake_path(lake) / "_tmp" / f"{REPORTS}.dt={day}.tmp-{uuid.uuid4().hex}"
    tmp.mkdir(parents=True)
    try:
        for name, png in pngs.items():
            (tmp / name).write_bytes(png)
        (tmp / HTML).write_text(render_html(rows, detail, pngs), encoding="utf-8")
        (tmp / TEXT).write_text(_summary(lake, detail) + "\n", encoding="utf-8")
        swap_in(tmp, final)
    except BaseException:
        storage.remove_tree(tmp)
        raise
    finally:
        storage.remove_empty(storage.lake_path(lake) / "_tmp")
    return final
