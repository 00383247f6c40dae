"""The ``newsflow`` command line: the same stage functions the DAGs call.

    newsflow run --inbox DIR --lake DIR --day YYYY-MM-DD [--config FILE]
    newsflow ingest|clean|dedup|tag|stories|publish --lake DIR --day YYYY-MM-DD
    newsflow report --lake DIR [--day ...]   (text summary + LAKE/_reports/dt=D/report.html)
    newsflow demo [--lake DIR]

Exit code 0 when the run finished (rejected inputs included), 1 when it could not
complete, 2 for usage errors.
"""

from __future__ import annotations

import argparse
import logging
import sys
from importlib.resources import files
from pathlib import Path

from newsflow.registry import STAGES

SAMPLE_DAY = "2024-05-14"


def sample_inbox() -> Path:
    """The bundled sample corpus (fictional articles written for this project)."""
    return Path(str(files("newsflow") / "sample" / "inbox"))


def _day(value: str) -> str:
    from newsflow.dates import parse_day

    try:
        return parse_day(value)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="newsflow", description="News-processing pipeline")
    p.add_argument("-v", "--verbose", action="store_true", help="log every stage's details")
    sub = p.add_subparsers(dest="command", required=True)

    def common(sp: argparse.ArgumentParser, *, inbox: bool, day_required: bool = True) -> None:
        if inbox:
            sp.add_argument("--inbox", help="inbox folder holding INBOX/<day>/ (NEWSFLOW_INBOX)")
        sp.add_argument("--lake", help="lake folder (NEWSFLOW_LAKE)")
        sp.add_argument("--day", type=_day, required=day_required, help="YYYY-MM-DD")
        sp.add_argument("--config", help="TOML/YAML settings file (NEWSFLOW_CONFIG)")

    common(sub.add_parser("run", help="every stage for one day"), inbox=True)
    for stage in STAGES:
        common(sub.add_parser(stage, help=f"the {stage} stage alone"), inbox=stage == "ingest")
    rep = sub.add_parser("report", help="summary of a day (default: the latest)")
    common(rep, inbox=False, day_required=False)
    demo = sub.add_parser("demo", help="run on the bundled sample corpus")
    demo.add_argument("--lake", default="./data/lake", help="where to write (default ./data/lake)")
    return p


def _run_with_progress(settings, day: str, stages: tuple[str, ...] = STAGES) -> list:
    """``stages.run`` with a rich progress bar on stderr when it is a terminal (never in
    logs or pipes, where it would only add noise)."""
    from newsflow import stages as pipeline

    if not sys.stderr.isatty():
        return pipeline.run(settings, day, stages)
    from rich.console import Console
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    columns = (
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} stages"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(day, total=len(stages))

        def progress(stage: str, result: object) -> None:
            if result is None:
                bar.update(task, description=f"{day}: {stage}")
            else:
                bar.advance(task)

        return pipeline.run(settings, day, stages, progress=progress)


def _summary_table(results: list) -> None:
    """What each stage read, wrote and rejected, and how long it took."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title="stages", title_justify="left")
    for col in ("stage", "counts", "seconds"):
        table.add_column(col, justify="right" if col == "seconds" else "left")
    for r in results:
        table.add_row(
            r.stage, ", ".join(f"{k} {v}" for k, v in r.counts.items()), f"{r.seconds:.2f}"
        )
    table.add_row("total", "", f"{sum(r.seconds for r in results):.2f}", style="bold")
    Console(width=120).print(table)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    from pydantic import ValidationError

    from newsflow import report
    from newsflow.config import load_settings

    try:
        if args.command == "demo":
            settings = load_settings(inbox=str(sample_inbox()), lake=args.lake)
            day = SAMPLE_DAY
            results = _run_with_progress(settings, day)
            print(report.summary(settings.lake, day))
            _summary_table(results)
            return 0
        settings = load_settings(args.config, inbox=getattr(args, "inbox", None), lake=args.lake)
        if args.command == "report":
            days = report.days(settings.lake)
            if not (args.day or days):
                print(f"no runs in {settings.lake}", file=sys.stderr)
                return 1
            day = args.day or days[-1]
            print(report.summary(settings.lake, day))
            try:
                folder = report.write_report(settings.lake, day)
            except OSError as e:  # a read-only lake can still be summarised
                print(f"newsflow: warning: report not written: {e}", file=sys.stderr)
            else:
                print("\n".join(f"  wrote {folder / name}" for name in (report.HTML, report.TEXT)))
            return 0
        if args.command == "run":
            results = _run_with_progress(settings, args.day)
            print(report.summary(settings.lake, args.day))
            _summary_table(results)
        else:
            [result] = _run_with_progress(settings, args.day, (args.command,))
            print(
                f"{result.stage} {result.day}: {result.counts} in {result.seconds:.2f}s -> {result.path}"
            )
        return 0
    except ValidationError as e:  # settings that cannot work (overlapping inbox and lake)
        print(f"newsflow: error: {'; '.join(err['msg'] for err in e.errors())}", file=sys.stderr)
        return 2
    except (OSError, ValueError, RuntimeError) as e:  # OSError: missing inbox, unwritable lake
        print(f"newsflow: error: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
