"""Stories on local news about many incidents of one kind, through ``newsflow run``.

A city's crime desk is the hardest case for story linking: every day brings shootings
told with the same words ("shot", "police said", "taken to a hospital"), the same
people (the police spokesperson, the chief, the mayor, the prosecutor) and the same
places (the city, its neighbourhoods, streets that recur), and an incident's
follow-ups (the victim named, an arrest, charges, a vigil) come days later and share
only a few words with the first report: its street, its neighbourhood, its victim.

No public set of that shape could be stored here (the Gun Violence Corpus, 510
articles on 241 incidents, is not in any snapshot this environment can read), so the
stream is generated: ``--incidents`` shootings over ``--days`` days in one invented
city, each told by one to three of four outlets (each with its own phrasing), with
one to four follow-ups over the next days. Sentences come from pools of variants per
fact; names, ages, streets and times are drawn at random. The story model's cuts and
number terms were chosen on seed 1 (in process); the default seed 0 was not looked at.

Each day's articles go to ``INBOX/<day>/`` as JSONL and ``newsflow run --day`` runs
on a fresh lake, day after day (the way production runs); then all articles as one
day. ``story_id`` is read back from the published ``articles`` table and scored
against the incidents (pairwise P/R/F1 and B-cubed).

    .venv/bin/python benchmarks/local_news.py [--incidents 90] [--days 28] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _ecb_cache import scores  # noqa: E402
from story_stream import _cell, put_section  # noqa: E402

START = date(2024, 9, 2)
CITY = "Riverton"
FIRST = [
    "Marcus",
    "James",
    "Andre",
    "Tyrone",
    "Luis",
    "Carlos",
    "Kevin",
    "Brandon",
    "Jamal",
    "Derek",
    "Anthony",
    "Malik",
    "Jose",
    "Travis",
    "Darnell",
    "Eric",
    "Victor",
    "Isaiah",
    "Keith",
    "Omar",
    "Shawn",
    "Devon",
    "Raymond",
    "Curtis",
    "Elijah",
    "Maria",
    "Tanya",
    "Keisha",
    "Ashley",
    "Jasmine",
    "Rosa",
    "Brittany",
    "Latoya",
    "Monique",
    "Erica",
    "Diana",
    "Alicia",
    "Shanice",
]
LAST = [
    "Reed",
    "Coleman",
    "Jenkins",
    "Powell",
    "Barnes",
    "Russell",
    "Griffin",
    "Hayes",
    "Myers",
    "Ford",
    "Hamilton",
    "Graham",
    "Sullivan",
    "Wallace",
    "Woods",
    "Cole",
    "West",
    "Jordan",
    "Owens",
    "Reynolds",
    "Fisher",
    "Ellis",
    "Harrison",
    "Gibson",
    "Mcdonald",
    "Cruz",
    "Marshall",
    "Ortega",
    "Gomez",
    "Murray",
    "Freeman",
    "Wells",
    "Webb",
    "Simpson",
    "Stevens",
    "Tucker",
    "Porter",
    "Hunter",
    "Hicks",
    "Crawford",
    "Henry",
    "Boyd",
    "Mason",
    "Morales",
    "Kennedy",
    "Warren",
    "Dixon",
    "Ramos",
]
STREETS = [
    "Elm Street",
    "Maple Avenue",
    "Cedar Lane",
    "Oak Street",
    "Pine Street",
    "Walnut Avenue",
    "Lincoln Avenue",
    "Grant Street",
    "Jefferson Boulevard",
    "Franklin Street",
    "Madison Avenue",
    "Washington Street",
    "Park Avenue",
    "Lake Street",
    "Hill Road",
    "River Road",
    "Mill Street",
    "Church Street",
    "Spring Street",
    "Chestnut Street",
    "Broadway",
    "Market Street",
    "Water Street",
    "Center Street",
    "Union Avenue",
    "Highland Avenue",
    "Prospect Street",
    "Summit Avenue",
    "Railroad Avenue",
    "King Boulevard",
]
HOODS = [
    "Northside",
    "Eastgate",
    "Southview",
    "West End",
    "Riverside",
    "Old Town",
    "Mill Creek",
    "Harbor Point",
    "Oak Park",
    "Brookfield",
    "Fairview",
    "Union Hill",
]
PLACES = [
    "outside a convenience store",
    "in a parking lot",
    "on a front porch",
    "near a bus stop",
    "outside an apartment building",
    "at a gas station",
    "in an alley",
    "outside a bar",
    "at a house party",
    "in a car stopped at a light",
]
HOSPITALS = ["Riverton General Hospital", "St. Mary's Medical Center"]
OFFICIALS = {
    "spokesperson": "Sgt. Dana Wells",
    "chief": "Police Chief Mark Ortiz",
    "mayor": "Mayor Linda Chen",
    "prosecutor": "County Prosecutor James Hall",
}
OUTLETS = ["riverton-courier.example", "krvt.example", "rivertondaily.example", "metrowire.example"]
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


@dataclass
class Incident:
    n: int
    day: int
    hood: str
    street: str
    block: int
    place: str
    hour: str
    victim: str
    age: int
    killed: bool
    suspect: str
    suspect_age: int
    hospital: str
    count: int  # the city's homicide or shooting count this year


def _pick(rng: np.random.Generator, xs: list[str] | tuple[str, ...]) -> str:
    return xs[int(rng.integers(len(xs)))]


def _incidents(rng: np.random.Generator, n: int, days: int) -> list[Incident]:
    out = []
    for k in range(n):
        out.append(
            Incident(
                n=k,
                day=int(rng.integers(0, days - 3)),
                hood=_pick(rng, HOODS),
                street=_pick(rng, STREETS),
                block=int(rng.integers(1, 40)) * 100,
                place=_pick(rng, PLACES),
                hour=_pick(rng, ["night", "evening", "afternoon", "morning"]),
                victim=f"{_pick(rng, FIRST)} {_pick(rng, LAST)}",
                age=int(rng.integers(16, 60)),
                killed=bool(rng.random() < 0.6),
                suspect=f"{_pick(rng, FIRST)} {_pick(rng, LAST)}",
                suspect_age=int(rng.integers(17, 45)),
                hospital=_pick(rng, HOSPITALS),
                count=int(rng.integers(5, 60)),
            )
        )
    return out


def _report(rng: np.random.Generator, i: Incident, when: str, style: int) -> tuple[str, str]:
    """The first report: no victim name yet."""
    who = f"{i.age}-year-old {'man' if i.victim.split()[0] in FIRST[:25] else 'woman'}"
    fate = "shot and killed" if i.killed else "shot and wounded"
    titles = [
        f"{who.capitalize()} {fate.split(' and ')[1]} in {i.hood} shooting",
        f"Shooting on {i.street} leaves {'one dead' if i.killed else 'one injured'}",
        f"Police investigate {when} shooting in {i.hood}",
        f"{i.hood} shooting: {who} {'dies' if i.killed else 'hurt'}",
    ]
    lead = [
        f"A {who} was {fate} {when} {i.hour} in the {i.block} block of {i.street} in the "
        f"{i.hood} neighborhood, {CITY} police said.",
        f"{CITY} police are investigating after a {who} was {fate} {i.place} on {i.street} "
        f"{when} {i.hour}.",
        f"Gunfire {i.place} in {i.hood} {when} {i.hour} left a {who} "
        f"{'dead' if i.killed else 'wounded'}, according to police.",
        f"Officers responding to reports of shots fired in the {i.block} block of "
        f"{i.street} found a {who} with a gunshot wound {when} {i.hour}.",
    ][style]
    body = [
        f"The victim was taken to {i.hospital}, where "
        f"{'doctors pronounced the victim dead' if i.killed else 'the victim was listed in stable condition'}.",
        f"Witnesses told officers they heard several shots {i.place} and saw a car speed "
        f"away on {i.street}.",
        f"{OFFICIALS['spokesperson']} said detectives were canvassing the {i.hood} area "
        "and reviewing surveillance video.",
        "No arrests had been made and police did not release a description of a suspect.",
        f"It was the city's {i.count}th shooting this year.",
        "Anyone with information is asked to call Crime Stoppers.",
    ]
    tail = body[1:]
    rng.shuffle(tail)
    return titles[style], " ".join([lead, body[0], *tail[: 2 + int(rng.integers(0, 3))]])


def _follow(rng: np.random.Generator, i: Incident, kind: str, when: str) -> tuple[str, str]:
    shooting = f"the {when} shooting in the {i.block} block of {i.street}"
    if kind == "named":
        return (
            f"Victim of {i.hood} shooting identified as {i.victim}",
            f"Police have identified the {'man killed' if i.killed else 'victim'} in "
            f"{shooting} as {i.victim}, {i.age}, of {CITY}. {i.victim.split()[1]} was "
            f"{i.place} when the shots were fired, {OFFICIALS['spokesperson']} said. "
            f"Relatives described {i.victim.split()[0]} as devoted to family and said "
            f"{i.victim.split()[0]} worked at a warehouse in {i.hood}. Detectives are still looking for the shooter.",
        )
    if kind == "arrest":
        return (
            f"Arrest made in {i.street} shooting",
            f"{CITY} police arrested {i.suspect}, {i.suspect_age}, in connection with "
            f"{shooting} that {'killed' if i.killed else 'wounded'} {i.victim}. "
            f"{OFFICIALS['chief']} said tips from {i.hood} residents led detectives to "
            f"{i.suspect.split()[1]}, who was taken into custody without incident. "
            f"{i.suspect.split()[1]} is being held at the county jail.",
        )
    if kind == "charged":
        return (
            f"{i.suspect} charged in death of {i.victim}"
            if i.killed
            else f"{i.suspect} charged in {i.hood} shooting",
            f"{OFFICIALS['prosecutor']} charged {i.suspect}, {i.suspect_age}, with "
            f"{'murder' if i.killed else 'attempted murder'} in {shooting}. Prosecutors "
            f"said {i.suspect.split()[1]} and {i.victim} had argued {i.place} before the "
            f"shooting. A judge set bail at ${int(rng.integers(2, 20)) * 50},000.",
        )
    return (
        f"Vigil held for {i.victim}",
        f"Dozens of people gathered on {i.street} in {i.hood} to remember {i.victim}, "
        f"who was {'killed' if i.killed else 'wounded'} in a shooting there. "
        f"{OFFICIALS['mayor']} attended the vigil and called for an end to gun violence in "
        f"{CITY}. Family members lit candles and released balloons near the spot where "
        f"{i.victim.split()[0]} was shot.",
    )


def stream(n_incidents: int, days: int, seed: int = 0) -> list[dict]:
    """The articles: url, title, text, source, published_at, day, incident."""
    rng = np.random.default_rng(seed)
    out = []
    for i in _incidents(rng, n_incidents, days):
        d0 = START + timedelta(days=i.day)
        when = WEEKDAYS[d0.weekday()]
        outlets = rng.permutation(len(OUTLETS))[: 1 + int(rng.integers(0, 3))]
        docs = [(0, int(o), *_report(rng, i, when, int(o))) for o in outlets]
        kinds = ["named", "arrest", "charged", "vigil"][: 1 + int(rng.integers(0, 4))]
        for k, kind in enumerate(kinds):
            off = k + 1 + int(rng.integers(0, 2))
            docs.append((off, int(rng.integers(len(OUTLETS))), *_follow(rng, i, kind, when)))
        for k, (off, o, title, text) in enumerate(docs):
            url = f"https://{OUTLETS[o]}/news/{i.n}-{k}"
            out.append(article(rng, url, title, text, OUTLETS[o], d0 + timedelta(days=off), i.n))
    return out


def article(
    rng: np.random.Generator, url: str, title: str, text: str, source: str, day: date, incident: int
) -> dict:
    """One generated article, published at a random minute of ``day`` (06:00-23:00)."""
    minute = int(rng.integers(6 * 60, 23 * 60))
    return {
        "url": url,
        "title": title,
        "text": f"{title}\n{text}",
        "source": source,
        "published_at": (
            datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(minutes=minute)
        ).isoformat(),
        "day": day.isoformat(),
        "incident": incident,
    }


def run_cli(articles: list[dict], root: Path, one_day: str | None = None) -> dict[str, str]:
    """{url: story_id} after ``newsflow run`` on each day's inbox, in date order."""
    shutil.rmtree(root, ignore_errors=True)
    inbox, lake = root / "inbox", root / "lake"
    days = sorted({one_day or a["day"] for a in articles})
    for d in days:
        (inbox / d).mkdir(parents=True, exist_ok=True)
        with (inbox / d / "local.jsonl").open("w", encoding="utf-8") as f:
            for a in articles:
                if (one_day or a["day"]) == d:
                    keep = ("url", "title", "text", "source", "published_at")
                    f.write(json.dumps({k: a[k] for k in keep}) + "\n")
    cli = Path(sys.executable).with_name("newsflow")
    for d in days:
        subprocess.run(
            [str(cli), "run", "--inbox", str(inbox), "--lake", str(lake), "--day", d],
            check=True,
            capture_output=True,
        )
    rows = duckdb.sql(
        f"SELECT url, story_id FROM read_parquet('{lake}/articles/dt=*/*.parquet')"
    ).fetchall()
    return dict(rows)


def runs(arts: list[dict], prefix: str) -> tuple[list[str], dict[str, float]]:
    """Markdown table rows (pairwise and B-cubed, odd / even incidents / all) of
    ``newsflow run`` day by day and of all articles as one day, on fresh lakes under a
    temporary folder named ``prefix``; and each run's wall time. The one day is the
    stream's last: every article has been collected by then (run as its first day,
    clean drops the publication dates of later days as impossible, and with them the
    clustering's date window)."""
    last = max(a["day"] for a in arts)
    gold = np.array([a["incident"] for a in arts])
    odd = gold % 2 == 1
    lines = ["| run | subset | pairwise P / R / F1 | B-cubed P / R / F1 |", "|---|---|---|---|"]
    root = Path(tempfile.mkdtemp(prefix=prefix))
    secs = {}
    for name, one_day in (("day by day", None), ("all at once (one day)", last)):
        t0 = time.perf_counter()
        got = run_cli(arts, root / name.split()[0], one_day)
        secs[name] = time.perf_counter() - t0
        pred = np.array([got.get(a["url"], f"missing:{a['url']}") for a in arts])
        for label, mask in (("odd incidents", odd), ("even incidents", ~odd), ("all", odd | ~odd)):
            lines.append(
                f"| `newsflow run`, {name} | {label} | {_cell(scores(gold[mask], pred[mask]))} |"
            )
    shutil.rmtree(root, ignore_errors=True)
    return lines, secs


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--incidents", type=int, default=90)
    ap.add_argument("--days", type=int, default=28)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, help="write the Markdown section here")
    args = ap.parse_args(argv)

    arts = stream(args.incidents, args.days, args.seed)
    lines, secs = runs(arts, "local-news-")
    days = len({a["day"] for a in arts})
    report = f"""## Local news: many shootings in one city, through `newsflow run`

Generated stream (`benchmarks/local_news.py`, seed {args.seed}): {len(arts)} articles on
{args.incidents} shootings in one city over {days} days (first reports by one to three of
four outlets, then the victim named, an arrest, charges, a vigil on later days; the same
spokesperson, chief, mayor, prosecutor, hospitals, neighbourhoods and streets recur
across incidents). The story model's text and key cuts and number terms were chosen
on another seed of this generator (seed 1, the stories stage's code in process) and on
ECB+'s odd topics; this seed was never looked at while choosing. Odd and even incidents
are reported apart.

{chr(10).join(lines)}

Wall time: day by day {secs["day by day"]:.0f} s ({days} runs), all at once
{secs["all at once (one day)"]:.0f} s.

Command: `.venv/bin/python benchmarks/local_news.py --incidents {args.incidents} --days {args.days} --out FILE`
"""
    print(report)
    if args.out:
        put_section(args.out, "## Local news", report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
