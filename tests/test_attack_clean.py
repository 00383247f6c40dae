"""Issue 15, item 14: no single document can hold the clean stage for long.

Hostile pages (one element with 25,000 attributes, megabytes of ``<p>``, a page just
under the structural limits that is still slow) and text dumps that were quadratic in
our own line rules go through the real CLI in a subprocess, in one day with good
pages: the run finishes within a hard bound, each hostile page is a reject with its
bytes (``too_complex`` or ``too_slow``), and every good document is still an article.

Item 17 (below): a source named like mathtext in the report's charts, days out of
range on the command line, and ``newsflow report`` on a lake it cannot write.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from newsflow.clean.guard import BoundedCleaner, too_complex
from newsflow.cli import main
from newsflow.config import Settings
from newsflow.records import RawDoc
from newsflow.registry import STAGES
from support import EVAL, lake_files

DAY = "2024-05-14"
MiB = 1024 * 1024
# the per-document budget of the CLI run below: the 2 MiB hard-wrapped dump cleans in
# 1.5-1.8 s of CPU on a slow box (2.6 s once), the page run under the limits in ~6 s
BUDGET_SECONDS = 3
RUN_BOUND_SECONDS = 90  # the whole run, hostile pages and all (unbounded before the fix)

LEAD = (
    "The city council approved a new tram line on Monday after a long debate about its "
    "route. Officials said the decision followed months of talks with residents, shops "
    "and unions, and that public meetings were planned in every district before work "
    "starts in the autumn."
)


def good_html(i: int) -> bytes:
    return (
        f"<html><head><title>Tram line {i} approved by the council</title></head><body>"
        f"<article><h1>Tram line {i} approved</h1><p>{LEAD} Line {i} opens next year.</p>"
        "</article></body></html>"
    ).encode()


def one_element_many_attributes(size: int) -> bytes:
    """One ``<div>`` whose attributes fill ``size`` bytes (25,000 of them in 1 MiB)."""
    attrs, n, i = [], 0, 0
    while n < size:
        a = f' data-a{i}="v{i}"'
        attrs.append(a)
        n, i = n + len(a), i + 1
    return f"<html><body><div{''.join(attrs)}>{LEAD}</div></body></html>".encode()


def p_run(size: int) -> bytes:
    return b"<html><body>" + b"<p>" * (size // 3) + b"</body></html>"


def hard_wrapped(size: int) -> bytes:
    """One long paragraph hard-wrapped at ~200 characters: every line continues the last
    (lower-case start, no full stop), so the line rules join them all into one."""
    words = LEAD.lower().replace(".", "").replace(",", "").split()
    line = " ".join(words * 6)[:200].rsplit(" ", 1)[0]
    lines = [line] * (size // (len(line) + 1))
    return ("The report begins here " + "\n".join(lines) + " and it ends here.\n").encode()


def photo_run(size: int) -> bytes:
    """A prose line, then one line of unclosed "(Photo" (the caption-credit rule rescanned
    to the end of the line from each of them)."""
    return (LEAD + "\n" + "(Photo " * (size // 7) + "\n").encode()


@pytest.fixture(scope="module")
def hostile_day(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("hostile")
    day_dir = root / "inbox" / DAY
    day_dir.mkdir(parents=True)
    files = {
        "a-attributes-1mib.html": one_element_many_attributes(MiB),
        "b-p-run-8mib.html": p_run(8 * MiB),
        "c-p-run-19mib.html": p_run(19 * MiB),
        # under both structural limits (190,000 elements) and still ~6 s: the time budget
        "d-p-run-below-limits.html": p_run(3 * 190_000),
        "e-hard-wrapped-2mib.txt": hard_wrapped(2 * MiB),
        "f-photo-run-512kib.txt": photo_run(512 * 1024),
    }
    # good documents before and after the hostile ones: the child that was killed on
    # an overrun is replaced and the documents after it are cleaned as usual
    for i in range(3):
        files[f"0-good-{i}.html"] = good_html(i)
        files[f"z-good-{i}.html"] = good_html(10 + i)
    files["z-good.txt"] = (LEAD + " The report was published on Tuesday.").encode()
    for name, data in files.items():
        (day_dir / name).write_bytes(data)
    lake = root / "lake"
    cmd = [sys.executable, "-m", "newsflow.cli", "run", "--inbox", str(root / "inbox")]
    cmd += ["--lake", str(lake), "--day", DAY]
    env = {**os.environ, "NEWSFLOW_CLEAN_TIMEOUT_SECONDS": str(BUDGET_SECONDS)}
    started = time.monotonic()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    return {
        "rc": proc.returncode,
        "err": proc.stderr,
        "seconds": time.monotonic() - started,
        "lake": lake,
        "files": files,
    }


def _kept_bytes(row: pd.Series, lake: Path) -> bytes:
    """A reject's input bytes: in the row, or in the file its ``raw_uri`` names (large
    rejects may be kept beside the table)."""
    uri = row.get("raw_uri")
    if isinstance(uri, str) and uri:
        path = Path(uri.removeprefix("file://"))
        return (path if path.is_absolute() else lake / path).read_bytes()
    return row["bytes"]


@pytest.mark.slow
def test_hostile_pages_are_rejected_within_the_bound(hostile_day: dict) -> None:
    assert hostile_day["rc"] == 0, hostile_day["err"][-3000:]
    print(f"hostile day: {hostile_day['seconds']:.1f} s")
    assert hostile_day["seconds"] < RUN_BOUND_SECONDS
    lake = hostile_day["lake"]
    rej = pd.read_parquet(lake / "rejects").set_index("source_uri")
    codes = rej.reason.str.split(":").str[0].to_dict()
    assert codes == {
        "a-attributes-1mib.html": "too_complex",
        "b-p-run-8mib.html": "too_complex",
        "c-p-run-19mib.html": "too_complex",
        "d-p-run-below-limits.html": "too_slow",
    }, rej.reason.to_dict()
    for uri in codes:
        assert _kept_bytes(rej.loc[uri], lake) == hostile_day["files"][uri]


@pytest.mark.slow
def test_good_documents_of_the_same_day_are_articles(hostile_day: dict) -> None:
    assert hostile_day["rc"] == 0, hostile_day["err"][-3000:]
    arts = pd.read_parquet(hostile_day["lake"] / "articles").set_index("source_uri")
    expected = {n for n in hostile_day["files"] if n[0] in "0z"}
    # the quadratic text dumps are articles now, cleaned well inside the budget
    expected |= {"e-hard-wrapped-2mib.txt", "f-photo-run-512kib.txt"}
    assert set(arts.index) == expected
    assert arts.loc["e-hard-wrapped-2mib.txt"].text.endswith("and it ends here.")
    manifest_path = hostile_day["lake"] / "_runs" / f"dt={DAY}" / "manifest.json"
    assert json.loads(manifest_path.read_text())["checks"]["inputs_accounted_for"]


@pytest.mark.shared
@pytest.mark.slow
def test_real_pages_pass_the_precheck() -> None:
    """The structural limits are far above real pages: none of the 1,171 pages of the
    extraction benchmarks is too complex (the largest has 10,126 elements and an
    element with 70 attributes)."""
    pages = [p for p in EVAL.rglob("html/*") if p.is_file()]
    assert len(pages) > 1000
    settings = Settings()
    for p in pages:
        data = p.read_bytes()
        data = gzip.decompress(data) if p.suffix == ".gz" else data
        doc = RawDoc(str(p), "html", data.decode("utf-8", "replace"), data)
        assert too_complex(doc, settings) is None, p


@pytest.mark.slow
def test_overrun_kills_the_child_and_the_next_document_is_cleaned() -> None:
    slow = RawDoc("slow.html", "html", p_run(3 * 190_000).decode(), b"slow bytes")
    good = RawDoc("good.html", "html", good_html(1).decode(), b"good bytes")
    with BoundedCleaner(Settings(clean_timeout_seconds=1)) as clean:
        first = clean._proc
        out = clean(slow, day=date(2024, 5, 14))
        assert (out.code, out.raw) == ("too_slow", b"slow bytes")
        assert first is not None and first.poll() is not None  # killed, reaped
        out = clean(good, day=date(2024, 5, 14))
        assert isinstance(out, dict) and out["title"].startswith("Tram line 1")
        assert clean._proc is not None and clean._proc.pid != first.pid


# ------------------------------------------------------------------ item 17: small ones

MATH_SOURCE = r"$\foo{x}$ Gazette"


@pytest.fixture(scope="module")
def small_lake(tmp_path_factory) -> Path:
    """A published day whose articles come from a source named like mathtext, and one
    with a lone dollar sign and a backslash."""
    root = tmp_path_factory.mktemp("small")
    day_dir = root / "inbox" / DAY
    day_dir.mkdir(parents=True)
    for i, source in enumerate([MATH_SOURCE, MATH_SOURCE, r"Price \$5 Daily $"]):
        (day_dir / f"page-{i}.html").write_bytes(good_html(i))
        (day_dir / f"page-{i}.json").write_text(json.dumps({"source": source}))
    lake = root / "lake"
    assert main(["run", "--inbox", str(root / "inbox"), "--lake", str(lake), "--day", DAY]) == 0
    return lake


@pytest.mark.slow
def test_report_draws_a_mathtext_source_literally(small_lake: Path, capsys) -> None:
    report = small_lake / "_reports" / f"dt={DAY}" / "report.html"
    report.unlink(missing_ok=True)  # written by the run only if the charts render
    assert main(["report", "--lake", str(small_lake), "--day", DAY]) == 0, capsys.readouterr()
    html = report.read_text()
    assert MATH_SOURCE in html and r"Price \$5 Daily $" in html
    assert (report.parent / "sources.png").read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize("day", ["0001-01-01", "1899-12-31", "2262-01-01", "9999-12-31"])
@pytest.mark.parametrize("command", ["run", *STAGES, "report"])
def test_an_out_of_range_day_is_a_usage_error(command: str, day: str, tmp_path, capsys) -> None:
    argv = [command, "--lake", str(tmp_path / "lake"), "--day", day]
    argv += ["--inbox", str(tmp_path / "inbox")] if command in ("run", "ingest") else []
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert err.splitlines()[-1].endswith(
        f"argument --day: '{day}' is out of range: days from 1900-01-01 to 2261-12-31"
    )
    assert "Traceback" not in err


def test_day_0001_01_01_exits_2_without_a_traceback(tmp_path: Path) -> None:
    """The real CLI in a subprocess, with an inbox for that day (dedup's horizon
    arithmetic raised OverflowError before)."""
    day_dir = tmp_path / "inbox" / "0001-01-01"
    day_dir.mkdir(parents=True)
    (day_dir / "a.html").write_bytes(good_html(1))
    cmd = [sys.executable, "-m", "newsflow.cli", "run", "--inbox", str(tmp_path / "inbox")]
    cmd += ["--lake", str(tmp_path / "lake"), "--day", "0001-01-01"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "'0001-01-01' is out of range" in proc.stderr.splitlines()[-1]


@pytest.mark.slow
def test_report_on_an_unwritable_lake_prints_the_summary(
    small_lake: Path, tmp_path, capsys
) -> None:
    """Where the report cannot be written (here a file stands where its folder goes),
    ``newsflow report`` still prints the summary, warns, and exits 0."""
    lake = tmp_path / "lake"
    shutil.copytree(small_lake, lake)
    shutil.rmtree(lake / "_reports")
    (lake / "_reports").write_text("not a folder")
    assert main(["report", "--lake", str(lake), "--day", DAY]) == 0
    out, err = capsys.readouterr()
    assert "inputs == articles + rejects: True" in out
    assert err.startswith("newsflow: warning: report not written:") and len(err.splitlines()) == 1


# the CLI as user nobody (tests run as root, for whom nothing is read-only)
AS_NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]


@pytest.mark.slow
def test_report_on_a_read_only_lake_prints_the_summary_and_exits_0(small_lake: Path) -> None:
    """``chmod -R a-w`` on the lake, then ``newsflow report`` as user nobody (tests run
    as root, for whom nothing is read-only): summary printed, warning, exit 0, and the
    lake unchanged."""
    if os.geteuid() != 0 or not shutil.which("setpriv"):
        pytest.skip("needs root and setpriv to run the CLI as another user")
    base = Path(tempfile.mkdtemp(prefix="newsflow-ro-"))
    try:
        base.chmod(0o755)
        lake = base / "lake"
        shutil.copytree(small_lake, lake)
        subprocess.run(["chmod", "-R", "a-w,a+rX", str(lake)], check=True)
        before = lake_files(lake)
        (base / "home").mkdir(mode=0o777)
        (base / "home").chmod(0o777)
        env = {**os.environ, "HOME": str(base / "home"), "MPLCONFIGDIR": str(base / "home")}
        probe = subprocess.run(
            [*AS_NOBODY, sys.executable, "-c", f"open({str(lake / 'x')!r}, 'w')"],
            env=env,
            capture_output=True,
            text=True,
        )
        if "PermissionError" not in probe.stderr:
            pytest.skip(f"user nobody cannot run the tests' Python here: {probe.stderr[-300:]}")
        cmd = [*AS_NOBODY, sys.executable, "-m", "newsflow.cli", "report", "--lake", str(lake)]
        proc = subprocess.run(
            [*cmd, "--day", DAY], env=env, capture_output=True, text=True, timeout=300
        )
        assert proc.returncode == 0, proc.stderr
        assert "inputs == articles + rejects: True" in proc.stdout
        assert "report not written" in proc.stderr and "Traceback" not in proc.stderr
        assert lake_files(lake) == before
    finally:
        subprocess.run(["chmod", "-R", "u+w", str(base)], check=True)
        shutil.rmtree(base)


@pytest.mark.slow
def test_a_crashed_child_costs_one_document_and_is_replaced() -> None:
    """A child killed by a signal mid-document (as a crash in a C extension or the OOM
    killer would) makes that document a ``clean_error`` reject; a child that dies
    between documents costs nothing; the documents after are cleaned as usual."""
    slow = RawDoc("slow.html", "html", p_run(3 * 190_000).decode(), b"slow bytes")
    good = RawDoc("good.html", "html", good_html(2).decode(), b"good bytes")
    day = date(2024, 5, 14)
    with BoundedCleaner(Settings(clean_timeout_seconds=60)) as clean:
        assert clean._proc is not None
        threading.Timer(0.5, clean._proc.send_signal, [signal.SIGSEGV]).start()
        out = clean(slow, day=day)
        assert (out.code, out.raw) == ("clean_error", b"slow bytes")
        assert out.message == "the cleaning process died (signal 11)"
        assert isinstance(clean(good, day=day), dict)
        clean._proc.kill()  # dies while idle
        clean._proc.wait()
        assert isinstance(clean(good, day=day), dict)
