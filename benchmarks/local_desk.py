"""Stories on a second local desk (fires and crashes), through ``newsflow run``.

An independent check of ``benchmarks/local_news.py``: the stories stage's cross-day
link model was fitted on that generator's seeds, so its text is not test data. This
generator shares none of its sentences, city, people or incident kinds: house and
apartment fires and traffic crashes in one invented city, both in one stream, each
first told by one to three of four outlets (each with its own phrasing), then
followed up one to six days later (cause found, victim identified, driver charged,
a fundraiser for the displaced family, the road reopened, the fire marshal's report)
in other words than the first reports: the block and street or the intersection,
the weekday, ages, names once released. The same fire chief, police spokesperson,
mayor, hospitals, neighbourhoods and streets recur, and several incidents share a
street or a neighbourhood. Nothing in the stories stage was chosen on this text.

The stream has the shape of ``local_news.stream()`` and is scored the same way
(``local_news.run_cli``: ``newsflow run --day`` day after day on a fresh lake, then
all articles as one day). ``NEWSFLOW_STORY_LINK_MODEL=linear`` in the environment
runs the old link score.

    .venv/bin/python benchmarks/local_desk.py [--incidents 100] [--days 28] [--seed 0] [--out FILE]
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from local_news import article, runs  # noqa: E402
from story_stream import put_section  # noqa: E402

START = date(2025, 1, 6)
CITY = "Harwick"
GIVEN = [
    "Maria",
    "Emily",
    "Robert",
    "Daniel",
    "Grace",
    "Howard",
    "Linda",
    "Samuel",
    "Teresa",
    "Victor",
    "Nadia",
    "Owen",
    "Rosa",
    "Keith",
    "Alicia",
    "Gordon",
    "Priya",
    "Wesley",
    "Janet",
    "Curtis",
    "Monique",
    "Felix",
    "Irene",
    "Dustin",
    "Lorraine",
    "Hector",
    "Shawna",
    "Travis",
    "Evelyn",
    "Omar",
    "Brenda",
    "Dale",
    "Yolanda",
    "Raymond",
    "Carla",
    "Ethan",
]
FAMILY = [
    "Kowalski",
    "Fenwick",
    "Abernathy",
    "Delgado",
    "Nakamura",
    "Whitfield",
    "Osei",
    "Brennan",
    "Castellano",
    "Huang",
    "Pruitt",
    "Lindgren",
    "Okonkwo",
    "Sandoval",
    "Thibodeaux",
    "Marsh",
    "Varga",
    "Holloway",
    "Quintero",
    "Beaumont",
    "Stroud",
    "Ferreira",
    "Gallagher",
    "Ashby",
    "Mwangi",
    "Dobbins",
    "Renfro",
    "Szabo",
    "Caldwell",
    "Ibarra",
]
STREETS = [
    "Alder Street", "Cobb Avenue", "Kinsley Road", "Maple Grove Drive", "Tanner Street",
    "Oakridge Boulevard", "Pell Street", "Route 9", "Wexford Avenue", "Birch Lane",
    "Harbor Road", "Division Street", "Lyman Avenue", "Fairmount Street", "Quarry Road",
]  # fmt: skip
ROADS = ["Route 9", "Oakridge Boulevard", "Harbor Road", "Division Street", "Quarry Road",
         "Kinsley Road", "Cobb Avenue", "Lyman Avenue", "Interstate 84"]  # fmt: skip
HOODS = ["Eastgate", "Millbrook", "the North End", "Cedar Flats", "Lower Ridge",
         "Brightwater", "South Harwick"]  # fmt: skip
HOMES = ["single-family home", "two-family house", "duplex", "three-story apartment building",
         "ranch house", "row house", "mobile home", "apartment complex"]  # fmt: skip
CAUSES = ["unattended cooking on the stove", "an overloaded extension cord",
          "a space heater placed too close to a couch", "careless disposal of smoking materials",
          "faulty wiring in a bedroom wall", "a candle left burning", "a clothes dryer vent",
          "a lithium-ion battery from an e-bike"]  # fmt: skip
VEHICLES = ["sedan", "pickup truck", "SUV", "motorcycle", "box truck", "minivan",
            "delivery van", "dump truck"]  # fmt: skip
CHARGES = ["operating under the influence", "vehicular homicide", "reckless driving",
           "leaving the scene of a crash causing injury", "motor vehicle homicide by negligent operation"]  # fmt: skip
HOSPITALS = ["Harwick Memorial Hospital", "Mercy Regional Medical Center"]
BURN = "the Bridgeport burn center"
CHIEF = "Fire Chief Denise Okafor"
BATTALION = "Battalion Chief Ray Lindqvist"
MARSHAL = "Fire Marshal Tom Bradley"
SPOKES = "Lt. Sarah Maldonado"
MAYOR = "Mayor Gil Herrera"
OUTLETS = ["harwickledger.example", "wkhr.example", "harwickpatch.example", "valleynow.example"]
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


@dataclass
class Incident:
    n: int
    kind: str  # "fire" or "crash"
    day: int
    hood: str
    street: str
    cross: str  # the crash's cross street
    block: int
    number: int  # house number (fires)
    home: str
    hour: int
    alarms: int
    displaced: int
    victim: str
    age: int
    killed: bool
    driver: str
    driver_age: int
    vehicle: str
    vehicle2: str
    pedestrian: bool
    cause: str
    charge: str
    hospital: str
    pets: int


def _pick(rng: np.random.Generator, xs: list[str] | tuple[str, ...]) -> str:
    return xs[int(rng.integers(len(xs)))]


def _a(noun: str) -> str:
    return ("an " if noun[0] in "aeiouAEIOU" or noun.startswith("SUV") else "a ") + noun


VARIED = False  # --varied: each sentence drawn from a few phrasings (set by main)


def _v(rng: np.random.Generator, *alts: str) -> str:
    """The first phrasing; with ``--varied`` one of them at random."""
    return _pick(rng, alts) if VARIED else alts[0]


def _yo(age: int) -> str:
    """'a 52-year-old', 'an 81-year-old'."""
    an = age in (8, 11, 18) or 80 <= age < 90
    return f"{'an' if an else 'a'} {age}-year-old"


def _name(rng: np.random.Generator) -> str:
    return f"{_pick(rng, GIVEN)} {_pick(rng, FAMILY)}"


def _incidents(rng: np.random.Generator, n: int, days: int) -> list[Incident]:
    out: list[Incident] = []
    for k in range(n):
        kind = "fire" if rng.random() < 0.5 else "crash"
        street = _pick(rng, STREETS if kind == "fire" else ROADS)
        hood = _pick(rng, HOODS)
        if out and rng.random() < 0.25:  # the same street (and neighbourhood) again
            prev = out[int(rng.integers(len(out)))]
            street, hood = prev.street, prev.hood
        cross = _pick(rng, [s for s in STREETS if s != street])
        block = int(rng.integers(1, 30)) * 100
        age = int(rng.integers(4, 90)) if kind == "fire" else int(rng.integers(16, 88))
        out.append(
            Incident(
                n=k,
                kind=kind,
                day=int(rng.integers(0, days - 4)),
                hood=hood,
                street=street,
                cross=cross,
                block=block,
                number=block + int(rng.integers(1, 99)),
                home=_pick(rng, HOMES),
                hour=int(rng.integers(0, 24)),
                alarms=int(rng.integers(1, 4)),
                displaced=int(rng.integers(2, 12)),
                victim=_name(rng),
                age=age,
                killed=bool(rng.random() < 0.4),
                driver=_name(rng),
                driver_age=int(rng.integers(17, 75)),
                vehicle=_pick(rng, VEHICLES),
                vehicle2=_pick(rng, VEHICLES),
                pedestrian=bool(rng.random() < 0.3),
                cause=_pick(rng, CAUSES),
                charge=_pick(rng, CHARGES),
                hospital=_pick(rng, HOSPITALS),
                pets=int(rng.integers(0, 3)),
            )
        )
    return out


def _when(i: Incident) -> str:
    h = i.hour
    part = "early" if h < 6 else "morning" if h < 12 else "afternoon" if h < 18 else "night"
    return part


def _clock(i: Incident) -> str:
    h = i.hour % 12 or 12
    return f"{h}:{(i.n * 7) % 60:02d} {'a.m.' if i.hour < 12 else 'p.m.'}"


def _fire_first(rng: np.random.Generator, i: Incident, wd: str, style: int) -> tuple[str, str]:
    alarm = ["", "two-alarm ", "three-alarm "][i.alarms - 1]
    hurt = (
        f"One person, {_yo(i.age)}, died in the fire"
        if i.killed
        else f"{_yo(i.age).capitalize()} resident was taken to {i.hospital} with burns"
    )
    if style == 0:  # the paper: measured, attribution last
        title = _v(
            rng,
            f"{(alarm + 'fire').capitalize()} damages {i.home} on {i.street}",
            f"{i.displaced} residents out of their {i.hood} home after {wd} fire",
            f"Fire guts {i.home} in {i.hood}",
        )
        text = (
            f"Firefighters were called to a {i.home} in the {i.block} block of {i.street} in "
            f"{i.hood} around {_clock(i)} {wd}, {CHIEF} said. "
            + _v(
                rng,
                f"Crews found heavy smoke coming from the second floor and needed about 40 "
                f"minutes to bring the {alarm}fire under control.",
                "The first crews saw flames in a rear window and called for more help.",
                f"It took {10 + i.alarms * 12} firefighters close to an hour to knock the fire down.",
            )
            + f" {hurt}. {_pick(rng, ['The Red Cross is helping', 'Relief agencies are assisting'])} "
            f"{i.displaced} people who lived there. "
            + _v(
                rng,
                "The cause is under investigation.",
                "No cause had been given by late afternoon.",
            )
        )
    elif style == 1:  # TV: urgent, present tense
        title = _pick(
            rng,
            [f"Flames tear through {i.hood} home; {i.displaced} forced out",
             f"{'Deadly' if i.killed else 'Dramatic'} {wd} {_when(i)} fire in {i.hood}"],
        )  # fmt: skip
        text = (
            _v(
                rng,
                f"Neighbors on {i.street} say they woke to shouting and the smell of smoke. ",
                f"People living along {i.street} watched from the sidewalk as smoke poured out. ",
                f"A neighbor on {i.street} says she banged on the door to wake the family. ",
            )
            + f"Harwick Fire crews pulled up to the {i.home} within minutes, {BATTALION} told "
            f"WKHR, and found flames showing from the roof. "
            f"{'Firefighters found a victim inside.' if i.killed else 'Everyone got out, but one resident was hurt.'} "
            f"{i.displaced} people are without a home tonight"
            f"{'; ' + str(i.pets) + ' pets were rescued' if i.pets else ''}."
        )
    elif style == 2:  # the hyperlocal site: short, with an address
        title = f"{i.hood}: crews battle {alarm}blaze at {i.number} {i.street}"
        text = (
            f"Harwick firefighters responded {wd} {_when(i)} to a reported structure fire at "
            f"{i.number} {i.street}. "
            + _v(
                rng,
                "According to the fire department, the first engine arrived to find fire in "
                "the kitchen area that spread into the attic. ",
                "The fire department said the fire started on the first floor and moved up "
                "through the walls. ",
                "Fire officials said a passer-by called 911 after seeing flames from a porch. ",
            )
            + f"{hurt}. {i.street} was closed between {i.cross} and the next block while crews "
            f"worked. Officials asked drivers to avoid the area."
        )
    else:  # the regional wire: city first, facts in one paragraph
        title = _v(
            rng,
            f"{'1 dead' if i.killed else '1 hurt'}, {i.displaced} displaced in Harwick house fire",
            f"Harwick fire {'kills 1' if i.killed else 'injures 1'}, leaves {i.displaced} homeless",
        )
        text = (
            f"HARWICK - A fire {wd} {_when(i)} {'killed one person' if i.killed else 'injured one person'} "
            f"and left {i.displaced} residents of a {i.home} without a place to stay, city "
            f"fire officials said. The fire on {i.street} in the {i.hood} neighborhood went to "
            f"{'one alarm' if i.alarms == 1 else str(i.alarms) + ' alarms'}. {CHIEF} said no firefighters "
            f"were hurt. "
            + _v(
                rng,
                "The state fire marshal's office was notified, as is routine.",
                "The fire marshal's office will look into the cause.",
            )
        )
    return title, text


def _crash_first(rng: np.random.Generator, i: Incident, wd: str, style: int) -> tuple[str, str]:
    who = "a pedestrian" if i.pedestrian else f"the driver of {_a(i.vehicle2)}"
    fate = "was pronounced dead at the scene" if i.killed else f"was taken to {i.hospital}"
    if style == 0:
        title = _v(
            rng,
            f"{'Fatal' if i.killed else 'Serious'} crash at {i.street} and {i.cross}",
            f"{'Person killed' if i.killed else 'Person hurt'} in {i.hood} collision",
        )
        text = (
            f"{_a(i.vehicle)[0].upper()}{_a(i.vehicle)[1:]} and {who} collided at the intersection of {i.street} and "
            f"{i.cross} about {_clock(i)} {wd}, Harwick police said. The injured person, "
            f"{i.age}, {fate}. "
            + _v(
                rng,
                f"Police spokesperson {SPOKES} said the crash reconstruction team was called "
                "in, and the intersection stayed closed for several hours.",
                f"{SPOKES} said investigators were looking at whether speed played a role.",
            )
        )
    elif style == 1:
        title = _pick(
            rng,
            [f"{'Deadly' if i.killed else 'Violent'} wreck shuts down {i.street}",
             f"{wd} {_when(i)} crash in {i.hood} leaves {'one dead' if i.killed else 'one hurt'}"],
        )  # fmt: skip
        text = (
            _v(
                rng,
                f"Twisted metal and shattered glass covered {i.street} near {i.cross} after ",
                f"Emergency crews rushed to {i.street} near {i.cross} when ",
            )
            + f"{_a(i.vehicle)} slammed into {who}. Witnesses told WKHR the {i.vehicle} was moving "
            f"fast. {SPOKES} says {'the victim did not survive' if i.killed else 'the victim is expected to survive'}. "
            f"The driver of the {i.vehicle} stayed at the scene."
        )
    elif style == 2:
        title = f"{i.hood}: {i.street} closed after {'pedestrian struck' if i.pedestrian else 'two-vehicle crash'}"
        text = (
            f"Police closed {i.street} in both directions between {i.cross} and the "
            f"{i.block} block {wd} {_when(i)} after a crash involving {_a(i.vehicle)}. "
            f"{_yo(i.age).capitalize()} {fate}. "
            + _v(
                rng,
                "Drivers should expect detours; updates to follow.",
                "Use Pell Street as a detour.",
            )
        )
    else:
        title = f"{'Harwick crash kills ' + str(i.age) + '-year-old' if i.killed else 'One injured in Harwick crash'}"
        text = (
            f"HARWICK - {_yo(i.age).capitalize()} {'died' if i.killed else 'was hurt'} "
            f"{wd} when {_a(i.vehicle)} and {who} collided on {i.street} at {i.cross} in "
            f"{i.hood}, police said. "
            + _v(
                rng,
                "The cause of the crash is under investigation and no charges had been filed, "
                "police said.",
                "No charges were filed as of Friday.",
            )
        )
    return title, text


def _fire_follow(rng: np.random.Generator, i: Incident, kind: str, wd: str) -> tuple[str, str]:
    ref = _pick(
        rng,
        [f"the {wd} fire on {i.street}", f"{wd}'s blaze in the {i.block} block of {i.street}",
         f"the fire at {i.number} {i.street}", f"the {i.hood} house fire"],
    )  # fmt: skip
    if kind == "cause":
        cause = i.cause.removeprefix("a ").removeprefix("an ")
        title = _v(
            rng,
            f"Officials: {cause} sparked {i.street} fire",
            f"Cause of deadly {i.hood} fire found" if i.killed else f"Cause of {i.hood} fire found",
        )
        text = (
            f"Investigators have ruled {ref} accidental. {MARSHAL} said it began with "
            f"{i.cause}. The {i.home} is a total loss, he said, with damage estimated "
            f"at ${int(rng.integers(8, 60)) * 10_000:,}. Smoke alarms "
            f"{_pick(rng, ['were working', 'were missing batteries', 'were not found'])} in the home."
        )
    elif kind == "named":
        title = (
            f"Victim of {i.hood} fire identified as {i.victim}, {i.age}"
            if i.killed
            else f"{i.victim} recovering after {i.street} fire, family says"
        )
        text = (
            f"The person {'killed' if i.killed else 'burned'} in {ref} was {i.victim}, {i.age}, "
            f"{'the medical examiner' if i.killed else 'relatives'} said. "
            f"{'Neighbors remembered ' + i.victim.split()[0] + ' as someone who' if i.killed else i.victim.split()[0] + ' was moved to ' + BURN + ' and'} "
            f"{_pick(rng, ['kept a garden out front', 'waved at every passing car', 'had lived there for decades'])}."
        )
    elif kind == "fund":
        title = _pick(
            rng,
            [f"Fundraiser grows for family displaced by {i.street} fire",
             f"{i.hood} rallies around {i.victim.split()[1]} family after fire"],
        )  # fmt: skip
        text = (
            f"An online fundraiser for the {i.victim.split()[1]} family, who lost everything in "
            f"{ref}, has raised more than ${int(rng.integers(3, 40)) * 1000:,}. The {i.displaced} "
            f"members of the household are staying with relatives. A clothing drive is planned "
            f"at {_pick(rng, ['the Eastgate library', 'St. Brendan parish hall', 'Harwick High School'])} on Saturday."
        )
    else:  # marshal's report / building condemned
        title = _v(
            rng,
            f"Report: no working smoke detector in {i.hood} home that burned",
            f"Marshal's report on {i.street} fire points to blocked exits",
        )
        text = (
            f"A report released by {MARSHAL}'s office on {ref} found that the "
            f"{i.home} had {i.alarms + 1} exits but only one was usable. {MAYOR} said the "
            f"city would step up free smoke alarm installations in {i.hood}. The building "
            f"inspector has condemned the structure."
        )
    return title, text


def _crash_follow(rng: np.random.Generator, i: Incident, kind: str, wd: str) -> tuple[str, str]:
    ref = _pick(
        rng,
        [f"the {wd} crash at {i.street} and {i.cross}", f"the collision on {i.street} on {wd}",
         f"the wreck near {i.cross} in {i.hood}"],
    )  # fmt: skip
    if kind == "named":
        title = (
            f"Police name {i.age}-year-old killed in {i.street} crash"
            if i.killed
            else f"{i.hood} resident hurt in {i.street} wreck identified"
        )
        text = (
            f"{i.victim}, {i.age}, of {i.hood} was the {'pedestrian' if i.pedestrian else 'motorist'} "
            f"{'who died' if i.killed else 'injured'} in {ref}, {SPOKES} said. "
            f"{'Family members described ' + i.victim.split()[0] + ' as devoted to the grandchildren.' if i.killed else 'The condition was listed as stable.'}"
        )
    elif kind == "charged":
        title = f"{i.driver}, {i.driver_age}, charged in {'deadly ' if i.killed else ''}{i.street} crash"
        text = (
            f"Prosecutors charged {i.driver}, {i.driver_age}, with {i.charge} in {ref}. "
            f"{i.driver.split()[1]} was driving the {i.vehicle}, police said. "
            f"{_pick(rng, ['Bail was set at $25,000.', 'A judge ordered the suspended license surrendered.', 'A not-guilty plea was entered.'])} "
            f"The victim, {i.victim}, was {i.age}."
        )
    elif kind == "reopen":
        title = _v(
            rng,
            f"{i.street} reopens; neighbors want a light at {i.cross}",
            f"After crash, {i.hood} asks city to slow traffic on {i.street}",
        )
        text = (
            f"Traffic is moving again on {i.street} after {ref}. Residents of {i.hood} told "
            f"the City Council the intersection with {i.cross} is dangerous, and {MAYOR} said "
            f"traffic engineers would study a signal or a lower speed limit."
        )
    else:  # vigil / memorial
        title = (
            f"Roadside memorial grows where {i.victim.split()[0]} {i.victim.split()[1]} was struck"
        )
        text = (
            f"Flowers and candles line the curb at {i.street} and {i.cross}, where {i.victim}, "
            f"{i.age}, was hit {wd}. Friends gathered there {_pick(rng, ['on Sunday evening', 'after work', 'at dusk'])} "
            f"and called for a crosswalk."
        )
    return title, text


def stream(n_incidents: int, days: int, seed: int = 0) -> list[dict]:
    """The articles: url, title, text, source, published_at, day, incident."""
    rng = np.random.default_rng(seed)
    out = []
    for i in _incidents(rng, n_incidents, days):
        d0 = START + timedelta(days=i.day)
        wd = WEEKDAYS[d0.weekday()]
        outlets = rng.permutation(len(OUTLETS))[: 1 + int(rng.integers(0, 3))]
        first = _fire_first if i.kind == "fire" else _crash_first
        docs = [(0, int(o), *first(rng, i, wd, int(o))) for o in outlets]
        pool = (
            ["cause", "named", "fund", "report"]
            if i.kind == "fire"
            else ["named", "charged", "reopen", "memorial"]
        )
        if i.kind == "crash" and not i.killed:
            pool = [k for k in pool if k != "memorial"]
        follow = _fire_follow if i.kind == "fire" else _crash_follow
        kinds = [str(k) for k in rng.permutation(pool)[: int(rng.integers(1, 4))]]
        offs = sorted(int(x) for x in rng.integers(1, 7, size=len(kinds)))
        for off, kind in zip(offs, kinds, strict=True):
            docs.append((off, int(rng.integers(len(OUTLETS))), *follow(rng, i, kind, wd)))
        for k, (off, o, title, text) in enumerate(docs):
            url = f"https://{OUTLETS[o]}/local/{i.kind}-{i.n}-{k}"
            out.append(article(rng, url, title, text, OUTLETS[o], d0 + timedelta(days=off), i.n))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--incidents", type=int, default=100)
    ap.add_argument("--days", type=int, default=28)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, help="write the Markdown section here")
    ap.add_argument("--varied", action="store_true", help="draw each sentence from variants")
    args = ap.parse_args(argv)
    global VARIED
    VARIED = args.varied

    model = os.environ.get("NEWSFLOW_STORY_LINK_MODEL", "learned (default)")
    arts = stream(args.incidents, args.days, args.seed)
    lines, secs = runs(arts, "local-desk-")
    days = len({a["day"] for a in arts})
    report = f"""## Local desk: fires and crashes in one city, through `newsflow run` (seed {args.seed}{", varied" if VARIED else ""}, link model {model})

Generated stream (`benchmarks/local_desk.py`, seed {args.seed}): {len(arts)} articles on
{args.incidents} fires and crashes in one city over {days} days, text written apart from
`local_news.py` and never used to fit or choose anything. Link model: {model}.

{chr(10).join(lines)}

Wall time: day by day {secs["day by day"]:.0f} s ({days} runs), all at once
{secs["all at once (one day)"]:.0f} s.

Command: `.venv/bin/python benchmarks/local_desk.py --incidents {args.incidents} --days {args.days} --seed {args.seed}{" --varied" if VARIED else ""}`
"""
    print(report)
    if args.out:
        put_section(
            args.out,
            f"## Local desk: fires and crashes in one city, through `newsflow run` (seed {args.seed}{', varied' if VARIED else ''}, link model {model})",
            report,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
