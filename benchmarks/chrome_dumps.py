"""Text dumps wrapped in generated site chrome: train and score the line classifier.

    .venv/bin/python benchmarks/chrome_dumps.py --train   # fit, write linemodel.json
    .venv/bin/python benchmarks/chrome_dumps.py           # score rules vs rules + model
    .venv/bin/python benchmarks/chrome_dumps.py --show 40 # also print lost/leaked lines
    .venv/bin/python benchmarks/chrome_dumps.py --cli     # the same dumps through `newsflow run`
    .venv/bin/python benchmarks/chrome_dumps.py --draws   # every held-out draw of DRAWS, their mean

A dump is a real article's paragraphs (AEB ground truth) wrapped in chrome of one
generated site style and layout: navigation and breadcrumbs, cookie-consent banners,
share rows, author bios, tag lists, "Read more" teasers in mid-text, related-article
lists (headlines from the templates and from the other articles' URL slugs),
newsletter calls, time stamps, captions, ads, mastheads and footers, in English,
German, Spanish and French, each from many templates with random names, sites and
dates. Dumps come in sites of SITE_PAGES pages that render part of their chrome with
the same words on every page (SITE_FIXED), some with an updated copy of an article or a
background paragraph shared by two articles; every dump is scored alone and with its
site's other pages counted as ``plan_clean`` counts a day's text dumps per source.

Held out three ways: the shipped model is trained on dumps of AEB "tune" articles (the
benchmark's hash split) using the "tune" two thirds of every template list and word
list (templates, wordings, site names, people, sections, topics, headlines, months)
and the "classic" and "sidebar" layouts; it is scored on dumps of AEB "held-out"
articles using only the other third (wordings and sites it never saw) and the
"classic" and "mobile" layouts (a layout it never saw), and on the tune side for
comparison. Training also uses a "shuffled" layout (every chrome block above, inside
or below the article at random), never scored. Its regularisation and cuts are chosen
inside the tune side: fitted on one third of the styles and half the tune articles in
the "classic" and "shuffled" layouts, judged on the other third around the other half
in "classic" and "sidebar" (a layout the fitted model never saw: leave one layout out,
as the held-out side does), the fit draws alternating the halves (cross-fit), a third
of the val pages an excerpt of their article from a random place; the cuts of a page cleaned alone are chosen there too, on
the val pages judged without their site's other pages; C and all cuts on the val
costs summed over FIT_SEEDS fit draws. Scores: chrome-line precision/recall/F1 (a chrome line counts as found when it
is not in the output), the share of body paragraphs lost (a paragraph the splitter
joined with its neighbour is kept, not lost), and the share of dumps whose output is
exactly the article.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import product
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from newsflow.clean.repeats import LineCounts

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))
RESULTS = REPO / "benchmarks" / "results"

NAMES = ["Anna Keller", "John Smith", "María López", "Pierre Martin", "Yuki Tanaka", "Sam Okafor"]
NAMES += ["Lena Fischer", "David Chen", "Sofia Rossi", "Tom Baker", "Amira Haddad", "Jonas Berg"]
NAMES += ["Olga Petrova", "Kwame Mensah", "Priya Nair", "Lucas Moreau", "Ines Duarte", "Erik Lund"]
SITES = [
    "Daily Courier",
    "NewsNow 24",
    "Der Bote",
    "El Diario Sur",
    "Le Matin Libre",
    "Metro Times",
]
SITES += [
    "The Harbour Post",
    "Rheinblick",
    "InfoMundo",
    "Tribune Express",
    "CityWire",
    "Nord-Kurier",
]
SITES += ["Valley Gazette", "Westfalen-Echo", "La Voz Norte", "Ouest Matin", "Bay Herald", "Q24"]
SECTIONS = ["World", "Business", "Politics", "Sport", "Tech", "Culture", "Wirtschaft", "Política"]
SECTIONS += ["Monde", "Science", "Health", "Lokales", "Economía", "Opinion"]
TOPICS = ["Japan", "Climate", "Elections", "Energy", "Trade", "Football", "AI", "Housing"]
TOPICS += ["Inflation", "Europe", "Migration", "Health care", "Transport", "Education"]
TOPICS += ["Crime", "Weather", "Tourism", "Farming", "Space", "Pensions"]
HEADLINES = [
    "Port strike enters its third day",
    "Ten things to know before you travel this summer",
    "Celebrity chef opens a new restaurant downtown",
    "Central bank leaves rates on hold",
    "Why the allotments flooded this spring",
    "Regierung beschließt neues Waldschutzgesetz",
    "El Gobierno aprueba la reforma de las pensiones",
    "Le prix de l'essence baisse encore",
    "Star striker signs a new four-year contract",
    "Scientists find water ice near the lunar south pole",
    "City council approves tram line after long debate",
    "Record heat expected across the south this week",
    "Bürgermeisterin tritt nach zwölf Jahren zurück",
    "Las ventas de coches eléctricos se duplican",
    "Grève des contrôleurs aériens ce week-end",
    "Five charged after warehouse fire",
    "New bridge opens two years late",
    "Hospital waiting lists fall for the first time",
]

# Each category: templates filled from the lists above ({n} name, {s} site, {c} section,
# {t} topic, {h} headline, {d} date, {k} a number, {share} a share row, {links} a row of
# site links, {pre} a teaser prefix). Index % 3 == 0: held-out styles; the fragment
# pools below are split the same way, so held-out dumps use wordings never trained on.
TEMPLATES: dict[str, list[str]] = {
    "nav": [
        "Home > {c} > {t}",
        "{links}",
        "You are here: Home / {c} / {t}",
        "Startseite » {c} » {t}",
        "Menu Search Sign in",
        "Inicio / {c} / {t}",
        "Accueil › {c} › {t}",
        "News {c} Sport Culture Opinion Video Podcasts",
        "Skip to main content",
        "{s} - {c}",
        "{c} | {t}",
        "Home · {c}",
    ],
    "masthead": [
        "{s}",
        "{s} - {c} news, analysis and opinion",
        "Font size: A A A",
        "Source: {s} Editor: {n}",
        "{s} | {d}",
        "Text size A- A+",
        "{S}",
        "Edition: International",
        "{c} | {s}",
        "Listen to this article",
        "Print this page",
        "{k} views",
    ],
    "consent": [
        "{consent1} {consent2}",
        "{consent1}",
        "Accept all cookies",
        "{consent2} {accept}",
        "Cookie settings | Reject all | Accept",
        "{accept} | {reject}",
    ],
    "share": ["{share}", "{share}", "{share}", "Copy link", "Share this article", "{k} shares"],
    "bio": [
        "{n} is a senior reporter at {s} covering {t}. She previously worked for regional newspapers.",
        "{n} covers {t} for {s}. Follow him on Twitter @{u}.",
        "About the author: {n} has written about {t} for more than ten years.",
        "{n} ist Redakteurin im Ressort {c} bei {s}.",
        "{n} es periodista especializado en {t} y colabora con {s} desde 2015.",
        "{n} est journaliste au service {c} du {s}.",
        "{n} is {s}'s {c} correspondent. Contact: {u}@example.com",
        "More articles by {n}",
        "{n} | {c} editor",
        "{n} writes about {t} and {t2} for {s}. Her latest book is out in spring.",
        "{n} arbeitet seit 2010 als freier Journalist für {s}.",
        "{n} is a contributing writer based in {c}.",
    ],
    "tags": [
        "{tagw}: {t}, {t2}, {c}",
        "{tagw} {t} {t2} {c}",
        "#{t} #{t2}",
        "{tagw}: {t} · {t2}",
        "{t} · {t2} · {c}",
        "{tagw}: {t}",
    ],
    "teaser": ["{pre}: {h}", "{pre} {h}", "{pre}: {h}", "{PRE}: {h}", "{pre} » {h}", "{h} ({pre})"],
    "cta": [
        "Sign up for our daily newsletter and get the top stories in your inbox every morning.",
        "Subscribe now for unlimited access to {s}.",
        "Support independent journalism: become a member today.",
        "Jetzt den Newsletter von {s} abonnieren!",
        "Suscríbete a nuestro boletín para recibir las noticias.",
        "Abonnez-vous pour lire la suite.",
        "Download our app for breaking news alerts.",
        "Follow {s} on Facebook, Instagram and X.",
        "Enjoyed this story? Share it with a friend.",
        "Get the {s} newsletter: the day's news, free every morning.",
        "Unterstützen Sie unabhängigen Journalismus mit einem Abo.",
        "Recibe las noticias de {s} en tu correo.",
    ],
    "stamp": [
        "Published {d}",
        "Updated: {d} {hh}:{mm} GMT",
        "{k} min read",
        "Veröffentlicht am {d}",
        "Actualizado el {d}",
        "Publié le {d} à {hh}h{mm}",
        "Posted {k} hours ago",
        "{d} · {k} comments",
        "Last modified {d}",
        "{d}, {hh}:{mm}",
        "Stand: {d}",
        "{k} comments",
    ],
    "related": [
        "Related stories",
        "More from {c}",
        "You may also like",
        "Das könnte Sie auch interessieren",
        "Más noticias",
        "Sur le même sujet",
        "Most read",
        "Recommended for you",
        "Trending now",
        "Mehr zum Thema",
        "Top stories",
        "Lo más leído",
    ],
    "footer": [
        "© {y} {s}. All rights reserved.",
        "{links}",
        "{s} is not responsible for the content of external sites.",
        "Impressum | Datenschutz | AGB | Kontakt",
        "Aviso legal | Política de privacidad | Contacto",
        "Mentions légales | Contact | Publicité",
        "Copyright {y} {s} Media Group Ltd",
        "Back to top",
        "Advertise with us | Careers | Help",
        "{s} {y}",
        "Alle Rechte vorbehalten. © {s}",
        "Terms | Privacy | Cookies | Accessibility",
    ],
    "ad": [
        "Advertisement",
        "Story continues below advertisement",
        "Anzeige",
        "Publicidad",
        "Publicité",
        "Sponsored content from {s}",
        "Scroll to continue with content",
        "ADVERTISING",
        "Paid partner content",
        "Werbung",
        "Article continues after this ad",
        "Promoted",
    ],
    "caption": [
        "Photo: {n} / {s}",
        "(Photo by {n}/Getty Images)",
        "Foto: dpa",
        "Imagen de archivo. EFE",
        "Image: Reuters",
        "File photo taken in {y}. (Kyodo)",
        "Bild: {n}",
        "Credit: {n} for {s}",
        "Photo {k} of 12",
        "Foto: {n}/AFP",
        "{n} / {s}",
        "(Image: {s})",
    ],
}
POOLS: dict[str, list[str]] = {
    "platform": ["Facebook", "Twitter", "X", "WhatsApp", "LinkedIn", "Email", "Print", "Telegram"]
    + ["Reddit", "Pinterest", "Xing", "Flipboard", "Messenger", "Mail", "E-Mail"],
    "sharew": ["Share", "Teilen", "Compartir", "Partager", "Condividi", "Delen", "Share on"]
    + ["Auf Facebook teilen", "Compartilhar", "Udostępnij", "Tweet", "Pin"],
    "sep": [" | ", " ", " · ", " / ", " - ", "  "],
    "sitelink": [
        "About us",
        "Contact",
        "Privacy policy",
        "Terms of use",
        "Impressum",
        "Datenschutz",
    ]
    + ["Careers", "Advertise", "Newsletter", "RSS", "Help", "Imprint", "Cookies", "Sitemap"]
    + ["Aviso legal", "Mentions légales", "Jobs", "Archive", "Corrections", "Accessibility"],
    "pre": ["Read more", "See also", "Also read", "Lesen Sie auch", "Mehr zum Thema", "Lee también"]
    + ["Leer más", "À lire aussi", "Voir aussi", "Leggi anche", "Lees ook", "Read next", "Related"]
    + ["Auch interessant", "Te puede interesar", "Recommended", "More", "Watch", "Listen"],
    "tagw": ["Tags", "Topics", "Schlagwörter", "Etiquetas", "Mots-clés", "Filed under", "Themen"]
    + ["Temas", "Sujets", "Keywords", "More on", "Categories", "Argomenti", "Onderwerpen"],
    "consent1": [
        "We use cookies to improve your experience.",
        "This website uses cookies and similar technologies to personalise content and ads.",
        "Wir verwenden Cookies, um Ihnen das beste Nutzererlebnis zu bieten.",
        "Utilizamos cookies propias y de terceros para mejorar nuestros servicios.",
        "Nous utilisons des cookies pour améliorer votre expérience.",
        "We and our partners store and access information on your device, such as cookies.",
        "Diese Website nutzt Cookies und ähnliche Technologien.",
        "Este sitio web utiliza cookies.",
        "Ce site utilise des traceurs.",
        "Your privacy matters to us.",
        "We value your privacy.",
        "Questo sito utilizza i cookie.",
    ],
    "consent2": [
        "By continuing to browse, you agree to our use of cookies.",
        "Manage your preferences at any time in the privacy settings.",
        "Mit der Nutzung dieser Seite stimmen Sie der Verwendung zu.",
        "Si continúa navegando, consideramos que acepta su uso.",
        "En poursuivant votre navigation, vous acceptez leur utilisation.",
        "You can change your choices at any time via the cookie settings link in the footer.",
        "Weitere Informationen finden Sie in unserer Datenschutzerklärung.",
        "Más información en nuestra política de cookies.",
        "Pour en savoir plus, consultez notre politique de confidentialité.",
        "See our cookie policy for details.",
        "By clicking Accept, you consent to the storing of cookies on your device.",
        "Continuando la navigazione accetti l'uso dei cookie.",
    ],
    "accept": ["Accept", "Akzeptieren", "Aceptar", "Accepter", "OK", "Agree", "Alle akzeptieren"]
    + ["Accept all", "Got it", "I agree", "Zustimmen", "Tout accepter"],
    "reject": ["Reject", "Ablehnen", "Rechazar", "Refuser", "Manage options", "Einstellungen"]
    + ["Settings", "More options", "Customise", "Configurar", "Paramétrer", "Decline"],
}


# Which entries of every template and word list a style split uses, by index % 3:
# "held-out" the first third; "tune" the other two, which "fit" and "val" divide so
# that thresholds can be chosen on styles the model being judged was not trained on.
STYLE_SPLITS = {"held-out": {0}, "tune": {1, 2}, "fit": {1}, "val": {2}}


def _part(items: list[str], styles: str) -> list[str]:
    """The entries of a list that the style split ``styles`` may use."""
    return [x for i, x in enumerate(items) if i % 3 in STYLE_SPLITS[styles]]


MONTHS = ["May", "June", "März", "mayo", "juin", "Oct", "Juli", "enero", "décembre"]


_SYLLABLES = [
    "ka",
    "lo",
    "mi",
    "ren",
    "sa",
    "to",
    "vel",
    "an",
    "dor",
    "bri",
    "gu",
    "ne",
    "ost",
    "ha",
    "lin",
    "pe",
    "qu",
    "ras",
    "ti",
    "zu",
    "mar",
    "sel",
]


def _made_up(rng: random.Random, words: int) -> str:
    """A name no list holds: capitalised words of random syllables."""
    return " ".join(
        "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(1, 3))).capitalize()
        for _ in range(words)
    )


# How many entries of a list one site uses (a site has one name, one consent text, one
# separator, a few authors...); lists not named here: all entries of the style split.
SITE_PICKS = {"names": (2, 4), "sites": (1, 1), "sharew": (1, 1), "sep": (1, 1), "pre": (1, 3)}
SITE_PICKS |= {"tagw": (1, 1), "consent1": (1, 1), "consent2": (1, 1), "accept": (1, 1)}
SITE_PICKS |= {"reject": (1, 1), "sitelink": (6, 9)}


def site_lists(rng: random.Random, styles: str, augment: bool = False) -> dict[str, list[str]]:
    """The entries of every word list that one site draws its chrome from: its name,
    authors, consent wording, separators... (so its chrome repeats across its pages, as
    a real site's does); ``augment`` (training only): half of the sites and authors
    made up, so that the model cannot learn a site's chrome by its name and must learn
    it by its shape, place and repetition."""
    base = {"names": NAMES, "sites": SITES, "sections": SECTIONS, "topics": TOPICS}
    base |= {"months": MONTHS, "headlines": HEADLINES, **POOLS}
    out = {}
    for key, items in base.items():
        items = _part(items, styles)
        lo, hi = SITE_PICKS.get(key, (len(items), len(items)))
        out[key] = rng.sample(items, min(len(items), rng.randint(lo, hi)))
    if augment and rng.random() < 0.5:
        out["sites"] = [_made_up(rng, rng.randint(1, 2))]
    if augment:
        out["names"] = [_made_up(rng, 2) if rng.random() < 0.5 else n for n in out["names"]]
    return out


def _fill(tpl: str, rng: random.Random, lists: dict[str, list[str]]) -> str:
    """``tpl`` filled from one site's word lists (``site_lists``)."""

    def pick(name: str) -> str:
        return rng.choice(lists[name])

    name = pick("names")
    t1, t2 = rng.sample(lists["topics"], 2)
    sep = pick("sep")
    share_w = pick("sharew")
    platforms = rng.sample(lists["platform"], rng.randint(2, 4))
    share = sep.join(
        [share_w, *platforms] if rng.random() < 0.5 else [f"{share_w} {p}" for p in platforms]
    )
    links = sep.join(rng.sample(lists["sitelink"], rng.randint(3, 6)))
    pre = pick("pre")
    site = pick("sites")
    month = pick("months")
    return tpl.format(
        n=name,
        u=name.split()[0].lower(),
        s=site,
        S=site.upper(),
        c=pick("sections"),
        t=t1,
        t2=t2,
        h=pick("headlines"),
        d=f"{rng.randint(1, 28)} {month} 20{rng.randint(10, 25)}",
        k=rng.randint(2, 300),
        y=rng.randint(2005, 2025),
        hh=f"{rng.randint(0, 23):02d}",
        mm=f"{rng.randint(0, 59):02d}",
        share=share,
        links=links,
        pre=pre,
        PRE=pre.upper(),
        tagw=pick("tagw"),
        consent1=pick("consent1"),
        consent2=pick("consent2"),
        accept=pick("accept"),
        reject=pick("reject"),
    )


@dataclass
class Dump:
    lines: list[str]
    chrome: list[bool]  # True: a chrome line, False: a body paragraph
    layout: str = "classic"
    site: int = -1  # dumps of one site share its chrome (-1: a site of its own)
    # How the lines are joined into the dump's text: a blank line between two
    # (``--newline single``: one line break, as a JSONL text field often has them,
    # where the splitter must tell a paragraph's end from a hard-wrapped line's by the
    # line's length alone).
    sep: str = "\n\n"

    @property
    def text(self) -> str:
        return self.sep.join(self.lines)


# Page layouts: where the chrome blocks sit around the article. "classic" (header,
# article with the odd teaser/ad/caption, footer) is in both splits; "sidebar" only in
# tuning (a sidebar block dumped after the article's first paragraphs, the footer in
# shuffled order); "mobile" only held out (the consent banner and related list after
# the footer, a menu block and a "most read" list dumped in mid-article, the masthead
# repeated at the bottom, bios before the article).
LAYOUTS = {False: ["classic", "sidebar"], True: ["classic", "mobile"]}
# Training only: "shuffled" puts each chrome block (menus, masthead, stamps, consent,
# bios, tags, calls, related lists, footers...) above the article, after a random
# paragraph or below it, independently, so that the model learns chrome by its shape,
# its neighbours and its recurrence rather than by the place one layout gives it. It
# is drawn at random, not modelled on the held-out "mobile" layout.
TRAIN_LAYOUTS = ("classic", "sidebar", "shuffled", "shuffled")
# Leave-one-layout-out (``train``): the model that chooses C and the cuts is fitted on
# FIT_LAYOUTS and judged on VAL_LAYOUTS, of which "sidebar" it never saw: as the
# held-out side pairs "classic" with a layout never trained on, so that a setting
# that only pays off on the trained layouts is not chosen.
FIT_LAYOUTS = ("classic", "shuffled", "shuffled")
VAL_LAYOUTS = ("classic", "sidebar")


# Chrome that a site renders from one template with the same words on every page:
# its share row, an author's bio, its consent banner, calls to action and footer
# (menus, stamps, tags, captions and teasers change with the page).
SITE_FIXED = ("share", "bio", "consent", "cta", "footer")
# Training only: categories a site may print in capitals (a menu, masthead or box
# heading in upper case), so that the model does not learn capitals as article text.
CAPS = ("nav", "masthead", "related", "ad", "share", "tags", "stamp", "footer")


@dataclass
class Site:
    """One generated site: its word lists, the templates it uses per chrome category,
    which categories its pages show, its layout, the texts of its SITE_FIXED chrome
    (filled on first use) and the categories it prints in capitals."""

    lists: dict[str, list[str]]
    style: dict[str, list[str]]
    use: dict[str, bool]
    layout: str
    fixed: dict[tuple[str, str, str], str] = field(default_factory=dict)
    caps: frozenset[str] = frozenset()

    def chrome(self, cat: str, rng: random.Random) -> str:
        """One line of chrome of category ``cat`` on a page of this site."""
        tpl = rng.choice(self.style[cat])
        if cat in SITE_FIXED:
            author = rng.choice(self.lists["names"]) if cat == "bio" else ""
            key = (cat, tpl, author)
            if key not in self.fixed:
                lists = {**self.lists, "names": [author]} if author else self.lists
                self.fixed[key] = _fill(tpl, rng, lists)
            line = self.fixed[key]
        else:
            line = _fill(tpl, rng, self.lists)
        return line.upper() if cat in self.caps else line


def make_site(
    rng: random.Random,
    *,
    styles: str,
    augment: bool = False,
    layouts: tuple[str, ...] | None = None,
) -> Site:
    """A random site of the style split ``styles`` in one of ``layouts`` (None: the
    split's LAYOUTS)."""
    cats = {c: _part(ts, styles) for c, ts in TEMPLATES.items()}
    style = {c: rng.sample(ts, k=min(len(ts), rng.randint(1, 3))) for c, ts in cats.items()}
    use = {c: rng.random() < 0.7 for c in cats}
    layout = rng.choice(layouts or LAYOUTS[styles == "held-out"])
    caps = frozenset(c for c in CAPS if augment and rng.random() < 0.15)
    return Site(site_lists(rng, styles, augment), style, use, layout, caps=caps)


def make_dump(
    body: list[str],
    rng: random.Random,
    *,
    styles: str,
    others: tuple[str, ...] = (),
    augment: bool = False,
    site: Site | None = None,
) -> Dump:
    """One article in the chrome of ``site`` (None: a random site of ``styles``);
    ``others``: headlines of other articles, for teasers and related lists. A page
    leaves out a category its site shows now and then (no bio, no tags)."""
    site = site or make_site(rng, styles=styles, augment=augment)
    layout, lists = site.layout, site.lists
    use = {c: u and rng.random() < 0.85 for c, u in site.use.items()}
    headlines = lists["headlines"] + list(others)

    def some(cat: str, k: int = 1) -> list[str]:
        if not use[cat]:
            return []
        lines = [site.chrome(cat, rng) for _ in range(k)]
        return [
            x.replace(h, rng.choice(others)) if others and h in x and rng.random() < 0.5 else x
            for x in lines
            for h in [next((h for h in HEADLINES if h in x), "\0")]
        ]

    def related() -> list[str]:
        if not use["related"]:
            return []
        return some("related") + rng.sample(headlines, rng.randint(2, 5))

    if layout == "shuffled":
        return _shuffled(body, rng, some, related, headlines)
    head = (
        some("masthead", rng.randint(1, 2))
        + some("nav", rng.randint(1, 2))
        + some("stamp")
        + some("share")
        + some("caption")
    )
    if layout != "mobile":
        head += some("consent")
    if layout == "mobile":
        head = some("bio") + head
    rng.shuffle(head)
    if rng.random() < 0.6:  # the headline above the body: the title, not body text
        head.insert(rng.randint(0, len(head)), rng.choice(headlines))
    lines: list[tuple[str, bool]] = [(x, True) for x in head]
    block_at = rng.randint(1, max(1, len(body) - 1)) if layout != "classic" else -1
    for i, para in enumerate(body):
        lines.append((para, False))
        if i == block_at - 1:
            if layout == "sidebar":
                block = some("tags") + related() + some("cta")
            else:
                block = some("nav", rng.randint(1, 3)) + related() + some("ad")
            lines += [(x, True) for x in block]
        elif 0 < i < len(body) - 1:
            r = rng.random()
            if r < 0.08:
                lines += [(x, True) for x in some("teaser")]
            elif r < 0.12:
                lines += [(x, True) for x in some("ad")]
            elif r < 0.15:
                lines += [(x, True) for x in some("caption")]
    if layout == "classic":
        tail = some("share") + some("tags") + some("bio") + some("cta") + related()
        tail += some("footer", rng.randint(1, 3)) + some("consent")
    elif layout == "sidebar":
        parts = [some("share"), some("bio"), some("footer", rng.randint(1, 3))]
        rng.shuffle(parts)
        tail = [x for part in parts for x in part]
    else:
        tail = some("cta") + some("share") + some("tags") + some("footer", rng.randint(1, 3))
        tail += some("masthead") + some("consent") + related()
    lines += [(x, True) for x in tail]
    return Dump([x for x, _ in lines], [c for _, c in lines], layout)


def _interleave(body: list[str], rng: random.Random, some) -> list[tuple[str, bool]]:
    """The article's paragraphs with the odd teaser, ad or caption between two."""
    lines: list[tuple[str, bool]] = []
    for i, para in enumerate(body):
        lines.append((para, False))
        if 0 < i < len(body) - 1:
            r = rng.random()
            cat = "teaser" if r < 0.08 else "ad" if r < 0.12 else "caption" if r < 0.15 else ""
            lines += [(x, True) for x in some(cat)] if cat else []
    return lines


# Where a "shuffled" page puts a chrome block: above the article, after one of its
# paragraphs, else below it (0.35 / 0.35 / 0.3: val 453 -> 424 against 0.4 / 0.2; a
# share of 2/3 "shuffled" pages among the fitted ones: 447 -> 453 -> 424 against 1/2).
SHUFFLE_TOP, SHUFFLE_MID = 0.35, 0.35


def _shuffled(body, rng: random.Random, some, related, headlines) -> Dump:
    """The training-only "shuffled" layout (TRAIN_LAYOUTS): every chrome block goes
    above the article, after one of its paragraphs or below it (SHUFFLE_TOP/_MID)."""
    blocks = [
        some("masthead", rng.randint(1, 2)),
        some("nav", rng.randint(1, 3)),
        some("stamp"),
        some("share"),
        some("caption"),
        some("consent"),
        some("bio"),
        some("tags"),
        some("cta"),
        related(),
        some("footer", rng.randint(1, 3)),
        some("ad"),
    ]
    if rng.random() < 0.3:
        blocks.append(some("share"))  # a share row above and below the article
    rng.shuffle(blocks)
    head, tail = [], []
    mid: dict[int, list[str]] = {}
    for block in blocks:
        r = rng.random()
        if r < SHUFFLE_TOP:
            head += block
        elif r < SHUFFLE_TOP + SHUFFLE_MID and len(body) >= 2:
            mid.setdefault(rng.randint(1, len(body) - 1), []).extend(block)
        else:
            tail += block
    if rng.random() < 0.6:  # the headline above the body
        head.insert(rng.randint(0, len(head)), rng.choice(headlines))
    lines = [(x, True) for x in head]
    paras = 0
    for para, is_chrome in _interleave(body, rng, some):
        lines.append((para, is_chrome))
        paras += not is_chrome
        if not is_chrome:
            lines += [(x, True) for x in mid.pop(paras, [])]
    lines += [(x, True) for x in tail]
    return Dump([x for x, _ in lines], [c for _, c in lines], "shuffled")


def _slug_headline(url: str) -> str | None:
    """A headline from an article URL's slug ("port-strike-enters-third-day.html")."""
    import re

    slugs = [x for x in re.split(r"[/?#]", url) if x.count("-") >= 2]
    if not slugs:
        return None
    words = [w for w in re.sub(r"\.\w+$", "", slugs[-1]).split("-") if w]
    while words and (len(words[0]) >= 5 and words[0].isdigit()):
        words.pop(0)
    while words and (len(words[-1]) >= 5 and words[-1].isdigit() or words[-1][:2] == "id"):
        words.pop()
    text = " ".join(words)
    return text[:1].upper() + text[1:] if len(words) >= 3 else None


def articles(split: str) -> list[tuple[list[str], str | None]]:
    """AEB articles of one split: (body paragraphs, a headline from the URL's slug)."""
    import extraction as E

    truth = json.loads((E.EVAL / "aeb" / "ground-truth.json").read_text("utf-8"))
    out = []
    for pid in sorted(truth):
        if E.split_of(pid) != split:
            continue
        paras = [" ".join(p.split()) for p in truth[pid]["articleBody"].split("\n")]
        paras = [p for p in paras if p]
        if len(paras) >= 2:
            out.append((paras, _slug_headline(truth[pid].get("url") or "")))
    return out


# Pages per generated site (the clean stage sees a source's documents of a day
# together), and the share of sites that also publish an updated version of one of
# their articles (its body then repeats across two pages, as chrome does), and the
# share that repeat a background paragraph of one article in one or two others (a
# follow-up story reusing it, as wire copy does).
SITE_PAGES = (3, 8)
UPDATED = 0.2
SHARED = 0.3


# Paragraphs of an excerpt (``dumps(excerpts=...)``).
EXCERPT = (2, 6)


def _excerpt(body: list[str], rng: random.Random) -> list[str]:
    """A run of EXCERPT paragraphs from a random place in ``body``: a short note, or a
    page that opens on what was the middle of an article (its score table, list or
    ticker rows, a short quote), so that val judges the rows and short lines an article
    holds where the rules see a page's header and footer, not only whole articles whose
    first and last lines are long prose."""
    n = min(len(body), rng.randint(*EXCERPT))
    at = rng.randint(0, len(body) - n)
    return body[at : at + n]


def dumps(
    split: str,
    *,
    styles: str,
    copies: int,
    seed: int,
    augment: bool = False,
    half: int | None = None,
    layouts: tuple[str, ...] | None = None,
    excerpts: float = 0.0,
) -> list[Dump]:
    """``copies`` dumps of every AEB article of ``split`` (``half``: of every other
    one, 0 or 1) in styles of ``styles``, grouped into sites of SITE_PAGES articles
    (each copy in other sites); the teasers and related lists of a dump also name the
    other articles of the split; ``excerpts``: the share of pages that show only a run
    of EXCERPT paragraphs from a random place in the article (``_excerpt``)."""
    rng = random.Random(seed)
    arts = articles(split)
    keep = [k for k in range(len(arts)) if half is None or k % 2 == half]
    out: list[Dump] = []
    site_id = 0
    for _ in range(copies):
        order = keep[:]
        rng.shuffle(order)
        while order:
            n = rng.randint(*SITE_PAGES)
            pages, order = order[:n], order[n:]
            site = make_site(rng, styles=styles, augment=augment, layouts=layouts)
            bodies = []
            for k in pages:
                body = arts[k][0]
                # training: a third keep only the article's first paragraphs, for short
                # notes, where a paragraph shares few words with the rest
                cut = rng.randint(2, 4) if augment and rng.random() < 1 / 3 else len(body)
                body = body[:cut]
                if excerpts and rng.random() < excerpts:
                    body = _excerpt(body, rng)
                bodies.append((k, body))
            if rng.random() < UPDATED:
                k, body = rng.choice(bodies)
                if len(body) >= 3:
                    bodies.append((k, body[:-1]))
            if rng.random() < SHARED and len(bodies) >= 2:
                _, body = rng.choice(bodies)
                long = [x for x in body if len(x.split()) >= 15]
                if long:
                    para = rng.choice(long)
                    for j in rng.sample(range(len(bodies)), min(len(bodies), rng.randint(1, 2))):
                        k, other = bodies[j]
                        if para not in other:
                            at = rng.randint(1, len(other))
                            bodies[j] = (k, [*other[:at], para, *other[at:]])
            for k, body in bodies:
                others = tuple(h for j, (_, h) in enumerate(arts) if h and j != k)
                d = make_dump(body, rng, styles=styles, others=others, augment=augment, site=site)
                d.site = site_id
                out.append(d)
            site_id += 1
    return out


# ---------------------------------------------------------------- training


# Share of training lines whose words are hidden from the model (their shape and
# context stay): chrome of an unseen site is worded unlike any template, so the model
# must also learn to tell it by where it sits and what it looks like.
WORD_DROPOUT = 0.3
_LEXICAL = ("u:", "b:", "first:", "last:")


# The P(chrome) cuts (see chrome.model_keeps) the site cuts are chosen from, shipped
# as they are for the site's pages ("text@site" ...): 0.5 is where the weighted loss
# prices a lost body line at BODY_COST leaked ones; a line before the first prose
# paragraph comes back only when the model is nearly sure (0.1 kept a "Font size: A A A"
# line of tests/fixtures/chrome). A page alone gets the cuts of ALONE_CUT_GRID.
CUTS = {"text": 0.5, "list_item": 0.5, "before_body": 0.03, "related": 0.5}
C_GRID = (0.5, 2.0)
# The C of rounds 6-8: another C of C_GRID replaces it only when its val cost (summed
# over FIT_SEEDS, site and alone) is lower by more than C_MARGIN of it. C=0.5 came out
# up to 1.6% lower in round 9, within the spread of the draws, and shipped it failed two
# hand-written pages (a score table's rows lost, a byline box kept) and the tune table
# fell (alone 0.966 -> 0.947): a choice within the noise keeps the C that was there.
C_DEFAULT = 2.0
C_MARGIN = 0.03
# A page cleaned alone (no other page of its source that day): the cuts of CUTS are
# chosen on the "val" pages judged alone, as the site cuts are with the site's pages,
# jointly over this grid (CUTS' values first: a tie keeps them). "text" stops at 0.9:
# val costs at 0.9, 0.95 and 0.99 differ by less than the noise between fit draws, and
# 0.95 kept a byline box of a hand-written test page (P(chrome) 0.91).
ALONE_CUT_GRID = {
    "text": (0.5, 0.6, 0.7, 0.8, 0.9),
    "before_body": (0.03, 0.1, 0.3),
    "list_item": (0.5, 0.3, 0.7),
    "related": (0.5, 0.3, 0.7),
}
# A page alone: a line the rules drop as a headline listed under a box heading, with
# the article's prose going on below it (``chrome._inside_article``), comes back when
# the model is sure it is text (0.0: never), chosen after ALONE_CUT_GRID.
ALONE_RESCUE_GRID = {"listed_inside": (0.0, 0.01, 0.03, 0.1)}
# With the site's other pages known (``chrome.SITE_CUT``), the cuts for lines before
# the body and under a related-articles heading are chosen on the "val" styles (the
# fixtures in tests/ are single pages, judged with the page-alone cuts).
SITE_CUT_GRID = {
    "before_body@site": (0.03, 0.1, 0.3, 0.5, 0.7),
    "listed_headline@site": (0.0, 0.1, 0.3, 0.5),
    "protect@site": (2.0, 0.95, 0.9, 0.8),
}
# Lines the rules drop for a hard reason (a widget or call-to-action wording, a teaser
# box heading, a short line past a related-articles heading) that the model may bring
# back when its site's other pages are known and it is sure they are text (AEB keeps
# "Sign up for the bundle ...", "(c) 2019 Associated Press", a list of prizes past a
# box); chosen one after the other on the "val" styles, 0.0: never. "smooth@site",
# "smooth_prose@site": the cuts under which a line between two kept lines stays, between
# short lines and next to prose (``chrome._smoothed``). "text@site", "list_item@site":
# the cuts of a kept line and a list item (0.5 before round 10; with the cross-fit val
# "text@site" 0.8: site cost 873 -> 845, its lost body lines 1.24% -> 0.95%).
RESCUE_GRID = {
    "widget@site": (0.0, 0.01, 0.03, 0.1),
    "teaser_header@site": (0.0, 0.01, 0.03, 0.1),
    "related_list@site": (0.0, 0.01, 0.03, 0.1),
    "smooth@site": (0.0, 0.8, 0.9, 0.95, 0.99, 1.01),
    "smooth_prose@site": (0.0, 0.7, 0.8, 0.9, 0.95, 0.99),
    "text@site": (0.5, 0.3, 0.4, 0.6, 0.7, 0.8, 0.9),
    "list_item@site": (0.5, 0.3, 0.4, 0.6, 0.7),
    # a line between two of the article's paragraphs (or above the first) that neither
    # the site's other pages nor their templates and frames hold
    # (``chrome.model_decisions``): a teaser heading, a line of text or a line before the
    # body kept under these cuts instead (round 18: val site cost 1078 -> 1053 -> 1035;
    # a widget line so placed leaked more on val than it kept: not in the grid)
    "teaser_header_unique@site": (0.0, 0.01, 0.1, 0.3, 0.5),
    "text_unique@site": (0.0, 0.7, 0.8, 0.9, 0.95),
    "before_body_unique@site": (0.0, 0.7, 0.8, 0.9, 0.95),
}
# Cost of losing a body paragraph, in leaked chrome lines (sample weights and cuts).
# The bar prices the two apart (F1 >= 0.97 counts a lost line and a leaked one alike,
# but at most 1% of body lines may go), and held-out lost 2.5x val's share: 3 (rounds
# 6-11) left val at 0.77% lost with the site's pages. 6 (round 12): val 0.64% / 8.2%
# leaked (site), 1.61% / 17.4% (alone) against 0.77% / 7.9%, 1.78% / 16.7%: priced
# at 3 as before, no dearer (993 + 2201 against 1013 + 2205). 10 chose C=0.5 and
# leaked more alone (tune page alone F1 0.964 -> 0.942).
BODY_COST = 6.0


# Share of training dumps judged alone, without their site's other pages: a document
# cleaned on its own (a source with one document in a shard) must still be cleaned well.
ALONE = 0.3


def site_evidence(data: list[Dump]):
    """Per dump, how often its lines recur in the other dumps of its site, counted
    as the clean stage counts a source's documents (``repeats.SourceLines``)."""
    from newsflow.clean.repeats import SourceLines

    lines = SourceLines()
    texts = [d.text for d in data]
    for d, text in zip(data, texts, strict=True):
        if d.site >= 0:
            lines.add(str(d.site), text)
    return [
        lines.evidence(str(d.site), text) if d.site >= 0 else None
        for d, text in zip(data, texts, strict=True)
    ]


class Judged(NamedTuple):
    """A dump as the model sees it: its lines, the rules' verdicts, per line the
    model's input (hashed features, from ``_examples``) or output (P(chrome), from
    ``_judged``), the labels, and the site's counts (``repeats.LineCounts``; None for
    a page judged alone)."""

    lines: list[str]
    verdicts: list[str | None]
    scores: list  # feature vectors or P(chrome)
    chrome: list[bool]
    counts: LineCounts | None


def _examples(
    data: list[Dump], rng: random.Random | None, *, alone: bool = False
) -> Iterator[Judged]:
    """Per dump whose lines the splitter leaves as they are: its lines, the rules'
    verdicts, each line's hashed features, whether it is chrome and how often it recurs
    on the site's other pages; ``rng``: hide the words of WORD_DROPOUT of the lines and
    judge ALONE of the dumps without their site; ``alone``: judge every dump without."""
    from newsflow.clean import linemodel
    from newsflow.clean.chrome import rule_verdicts, split_lines

    for d, ev in zip(data, site_evidence(data), strict=True):
        lines = split_lines(d.text)
        if lines != d.lines:  # a line the splitter joins or splits: labels would not align
            continue
        if alone or (rng is not None and rng.random() < ALONE):
            ev = None
        verdicts, _ = rule_verdicts(lines)
        counts = ev.counted(lines) if ev else None
        vectors = []
        for named in linemodel.document_features(lines, verdicts, counts):
            if rng is not None and rng.random() < WORD_DROPOUT:
                named = [f for f in named if not f.startswith(_LEXICAL)]
            vectors.append(linemodel.vector(named))
        yield Judged(lines, verdicts, vectors, d.chrome, counts)


def _fit(data: list[Dump], c: float) -> dict:
    """L1 logistic regression weights (sparse, JSON-ready, inverse regularisation
    ``c``) fitted on ``data``."""
    import numpy as np
    from newsflow.clean import linemodel
    from scipy.sparse import csr_matrix
    from sklearn.linear_model import LogisticRegression

    rows, cols, vals, y = [], [], [], []
    for ex in _examples(data, random.Random(2)):
        for vec, is_chrome in zip(ex.scores, ex.chrome, strict=True):
            rows += [len(y)] * len(vec)
            cols += list(vec)
            vals += list(vec.values())
            y.append(is_chrome)
    # columns: the feature keys seen (whole crc32 values, ``linemodel.vector``)
    keys, cols = np.unique(np.array(cols, dtype=np.int64), return_inverse=True)
    assert keys.max(initial=0) < linemodel.DIM
    x = csr_matrix((vals, (rows, cols)), shape=(len(y), len(keys)))
    # body paragraphs weigh more: losing article text is worse than leaking a line
    weight = np.where(np.array(y), 1.0, BODY_COST)
    model = LogisticRegression(l1_ratio=1.0, C=c, solver="liblinear", max_iter=200, random_state=0)
    model.fit(x, np.array(y), sample_weight=weight)
    coef = model.coef_[0]
    print(f"  C={c}: fitted on {len(y)} lines of {len(data)} dumps", flush=True)
    return {
        "intercept": float(model.intercept_[0]),
        "weights": {str(keys[i]): round(float(coef[i]), 4) for i in np.flatnonzero(coef)},
    }


def _judged(model: dict, data: list[Dump], *, alone: bool = False) -> list[Judged]:
    """Per dump of ``data``: its lines, verdicts, ``model``'s P(chrome) of every line,
    its labels and recurrence (computed once, for every set of cuts tried); ``alone``:
    every dump without its site's other pages."""
    import math

    weights = {int(k): v for k, v in model["weights"].items()}
    out = []
    for ex in _examples(data, None, alone=alone):
        z = [
            model["intercept"] + sum(weights.get(k, 0.0) * v for k, v in x.items())
            for x in ex.scores
        ]
        out.append(ex._replace(scores=[1 / (1 + math.exp(-max(-30, min(30, t)))) for t in z]))
    return out


def tally(judged: list[Judged], cuts: dict[str, float] = CUTS) -> tuple[int, int, int, int]:
    """Lost body lines, body lines, leaked chrome lines and chrome lines of a model's
    ``judged`` val dumps (``_judged``) with ``cuts`` (a repeated line is judged where it
    first appears)."""
    from newsflow.clean.chrome import model_decisions

    lost = body = leaked = chrome_n = 0
    for j in judged:
        decisions = model_decisions(j.lines, j.verdicts, j.scores, cuts, j.counts)
        for kept, verdict, is_chrome in zip(decisions, j.verdicts, j.chrome, strict=True):
            if verdict != "repeat":  # judged where its text first appears
                leaked += kept and is_chrome
                chrome_n += is_chrome
                lost += not kept and not is_chrome
                body += not is_chrome
    return lost, body, leaked, chrome_n


def _cost(judged: list[Judged], cuts: dict[str, float] = CUTS, *, quiet: bool = False) -> float:
    """What a model's ``judged`` lines cost with ``cuts``: BODY_COST per lost body
    line, one per leaked chrome line (``tally``)."""
    lost, _, leaked, _ = tally(judged, cuts)
    total = BODY_COST * lost + leaked
    if not quiet:
        print(f"  cost {total:.0f} on the val dumps ({cuts})", flush=True)
    return total


def alone_cuts(judged: list[Judged]) -> tuple[float, dict[str, float]]:
    """The cuts of a page cleaned alone: the ALONE_CUT_GRID point of lowest cost on
    ``judged`` val dumps, each judged without its site's pages (``_judged(alone=True)``),
    and that cost."""
    grid = [dict(zip(ALONE_CUT_GRID, v, strict=True)) for v in product(*ALONE_CUT_GRID.values())]
    costs = [_cost(judged, CUTS | g, quiet=True) for g in grid]
    cuts = CUTS | grid[costs.index(min(costs))]
    for name, values in ALONE_RESCUE_GRID.items():  # one at a time, after the joint grid
        costs = [_cost(judged, cuts | {name: v}, quiet=True) for v in values]
        cuts[name] = values[costs.index(min(costs))]
    return _cost(judged, cuts, quiet=True), cuts


def site_cuts(judged: list[Judged]) -> tuple[float, dict[str, float]]:
    """The cuts used with the site's pages known: SITE_CUT_GRID jointly, then each of
    RESCUE_GRID in turn, at the lowest cost on ``judged`` val dumps; and that cost."""
    grid = [dict(zip(SITE_CUT_GRID, v, strict=True)) for v in product(*SITE_CUT_GRID.values())]
    costs = [_cost(judged, CUTS | g, quiet=True) for g in grid]
    cuts = grid[costs.index(min(costs))]
    for name, values in RESCUE_GRID.items():  # one at a time, after the joint grid
        costs = [_cost(judged, CUTS | cuts | {name: v}, quiet=True) for v in values]
        cuts[name] = values[costs.index(min(costs))]
    return _cost(judged, CUTS | cuts, quiet=True), cuts


# Share of val pages that show an excerpt of their article (``_excerpt``), as many as
# the training pages cut to a short note; the fitted pages do not (excerpts in 1/3 of
# them too: val 2558 -> 2678, worse).
EXCERPTS = 1 / 3
# Fit draws (seeds of the "fit" dumps) whose val costs are summed to choose C and the
# cuts: one draw's cost moves by 30-60 with the seed (round 8), as much as the
# choices it decided between. An even number: draws alternate the half of the articles
# they fit on (``fit_half``), so that each half is judged as often.
FIT_SEEDS = (1, 2, 3, 4)


def fit_half(draw: int) -> int:
    """The half of the tuning articles fit draw ``draw`` is fitted on; val judges the
    other (cross-fit: over the draws every tuning article is judged, equally often, so
    that val holds as many kinds of article as there are: round 9 judged one half and
    lost 0.5% of its body lines where the held-out side lost 1.8%)."""
    return draw % 2


def choose_c(costs: dict[float, float]) -> float:
    """The C of lowest val cost, unless C_DEFAULT's is within C_MARGIN of it."""
    best = min(costs, key=lambda c: costs[c])
    if C_DEFAULT in costs and costs[best] > (1 - C_MARGIN) * costs[C_DEFAULT]:
        return C_DEFAULT
    return best


def train(out: Path) -> None:
    """The regularisation and cuts chosen for models fitted on the "fit" styles and half
    the tuning articles (FIT_SEEDS draws), judged on the "val" styles around the other
    half, with the site's pages known and each page alone, on the sum of those costs
    over the draws; then the shipped weights, fitted on all tuning styles and articles
    with that C, and the cuts."""
    print("fit styles, articles -> val styles, articles (choosing C and the cuts):", flush=True)
    val = {
        h: dumps(
            "tune", styles="val", copies=4, seed=3, half=h, layouts=VAL_LAYOUTS, excerpts=EXCERPTS
        )
        for h in (0, 1)
    }
    judged: dict[float, list[Judged]] = {c: [] for c in C_GRID}
    alone: dict[float, list[Judged]] = {c: [] for c in C_GRID}
    for draw, seed in enumerate(FIT_SEEDS):
        half = fit_half(draw)
        fit = dumps(
            "tune",
            styles="fit",
            copies=12,
            seed=seed,
            augment=True,
            half=half,
            layouts=FIT_LAYOUTS,
        )
        for c in C_GRID:
            model = _fit(fit, c)
            judged[c] += _judged(model, val[1 - half])
            alone[c] += _judged(model, val[1 - half], alone=True)
    chosen = {}
    for c in C_GRID:
        site_cost, site = site_cuts(judged[c])
        alone_cost, page = alone_cuts(alone[c])
        site = {f"{k}@site": v for k, v in CUTS.items()} | site  # chrome.SITE_CUT
        chosen[c] = (site_cost + alone_cost, page | site)
        print(
            f"  C={c}: val cost over {len(FIT_SEEDS)} fit draws {site_cost:.0f} with the site's "
            f"pages + {alone_cost:.0f} alone = {chosen[c][0]:.0f}",
            flush=True,
        )
        for label, data in (("site's pages", judged[c]), ("alone", alone[c])):
            lost, body, leaked, chrome_n = tally(data, page | site)
            print(
                f"    {label}: {lost} of {body} body lines lost ({lost / max(1, body):.2%}), "
                f"{leaked} of {chrome_n} chrome lines leaked ({leaked / max(1, chrome_n):.2%})",
                flush=True,
            )
    c = choose_c({c: cost for c, (cost, _) in chosen.items()})
    cuts = chosen[c][1]
    print(f"all tuning styles and articles (the shipped weights, C={c}, {cuts}):", flush=True)
    shipped = dumps("tune", styles="tune", copies=6, seed=1, augment=True, layouts=TRAIN_LAYOUTS)
    model = _fit(shipped, c)
    model["cuts"] = cuts
    model["C"] = c
    out.write_text(json.dumps(model), "utf-8")
    print(f"{len(model['weights'])} weights -> {out}")


# ---------------------------------------------------------------- scoring


def kept_lines(lines: list[str], out: list[str]) -> list[bool]:
    """Which of a dump's lines are in the cleaner's output ``out``: as a paragraph of
    their own, or joined with their neighbours into one (the splitter joins a line that
    opens in lower case to an unfinished one before it: the text is kept, not lost).
    Lines are compared as the cleaner's normalisation writes them (spaces unified,
    mojibake fixed): until round 14 a share row "Share  Email  X" kept as "Share Email
    X" counted as removed, and a body line so changed as lost."""
    from newsflow.clean.metadata import normalise_text

    lines = [normalise_text(line) for line in lines]
    present = set(out)
    for para in out:
        if para in present and para in lines:
            continue
        for j, first in enumerate(lines):
            if not para.startswith(first):
                continue
            acc, k = first, j
            while len(acc) < len(para) and k + 1 < len(lines):
                k += 1
                acc = f"{acc} {lines[k]}"
            if acc == para:
                present.update(lines[j : k + 1])
                break
    return [line in present for line in lines]


def cleaned(data: list[Dump], clean, *, alone: bool = False) -> list[list[str]]:
    """Every dump's output paragraphs by ``clean(text, evidence)``, in process; ``alone``:
    every dump without its site's other pages."""
    evidence = [None] * len(data) if alone else site_evidence(data)
    return [clean(d.text, ev) for d, ev in zip(data, evidence, strict=True)]


def score(data: list[Dump], clean, *, show: int = 0, alone: bool = False) -> dict[str, float]:
    """Chrome-line P/R/F1, share of body paragraphs lost, share of exact outputs;
    ``show``: print up to this many lost body paragraphs and leaked chrome lines;
    ``alone``: clean every dump without its site's other pages."""
    return score_outputs(data, cleaned(data, clean, alone=alone), show=show)


def score_outputs(
    data: list[Dump], outputs: list[list[str]], *, show: int = 0, lost: Counter[str] | None = None
) -> dict[str, float]:
    """``score`` of given outputs, one list of paragraphs per dump (in process or read
    back from the lake: one definition of a found chrome line and a lost paragraph);
    ``lost``: a tally each lost body paragraph is counted into (``--draws``: an
    article's line lost on every copy in every draw is a trait of that article, not of
    the chrome around it)."""
    from newsflow.clean.metadata import normalise_text

    tp = fp = fn = body_n = exact = 0
    lost_lines: list[str] = []
    leaked: list[str] = []
    for d, out in zip(data, outputs, strict=True):
        for line, is_chrome, kept in zip(d.lines, d.chrome, kept_lines(d.lines, out), strict=True):
            if is_chrome:
                tp += not kept
                fn += kept
                if kept:
                    leaked.append(f"[{d.layout}] {line}")
            else:
                body_n += 1
                fp += not kept
                if not kept:
                    lost_lines.append(line)
        body = [normalise_text(x) for x, c in zip(d.lines, d.chrome, strict=True) if not c]
        exact += body == out
    if lost is not None:
        lost.update(lost_lines)
    for label, items in (("lost", lost_lines), ("leaked", leaked)):
        for line in items[:show]:
            print(f"  {label}: {line[:150]}")
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return {
        "chrome_precision": p,
        "chrome_recall": r,
        "chrome_f1": 2 * p * r / (p + r) if p + r else 0.0,
        "body_lost": len(lost_lines) / body_n if body_n else 0.0,
        "exact": exact / len(data),
    }


def cleaner_speed(data: list[Dump], clean) -> float:
    """Lines of text dumps cleaned per CPU-second (best of three passes; the counting
    of the site's pages, done once a day by ``plan_clean``, is left out)."""
    import time

    evidence = site_evidence(data)
    texts = [d.text for d in data]
    n = sum(len(d.lines) for d in data)
    best = float("inf")
    for _ in range(3):
        t0 = time.process_time()
        for text, ev in zip(texts, evidence, strict=True):
            clean(text, ev)
        best = min(best, time.process_time() - t0)
    return n / best if best else 0.0


# The held-out draw scored since round 7 (looked at once a round, its lost lines read
# in early rounds); another seed draws a fresh held-out set from the same held-out
# split: the held-out AEB articles in new sites of only held-out wordings, names and
# sites, "classic" and the never-trained "mobile" layout.
HELD_OUT_SEED = 8
# Dumps of every held-out article in a draw (each in another site).
HELD_OUT_COPIES = 3


def held_out_name(seed: int) -> str:
    """The table's name of the held-out draw of ``seed``."""
    fresh = "" if seed == HELD_OUT_SEED else f", fresh draw seed {seed}"
    return f"held-out (held-out articles, unseen styles{fresh})"


def held_out(seed: int = HELD_OUT_SEED) -> list[Dump]:
    """The held-out dumps of ``seed``: every held-out article three times, in held-out
    styles and layouts only."""
    return dumps("held-out", styles="held-out", copies=HELD_OUT_COPIES, seed=seed)


# The held-out draws whose mean ``--draws`` reports: the default one and thirteen fresh
# ones (the same held-out articles, styles and layouts in other sites; 90210 and 1234
# were first run in round 16, the last six in round 18, each time on the cleaners before
# and after the round side by side, before anyone read them).
DRAWS = (HELD_OUT_SEED, 2026, 5151, 31, 777, 4242, 90210, 1234, 11, 4711, 65537, 2718, 99, 31337)


def draws_table(clean, *, top: int = 10, sep: str = "\n\n") -> tuple[list[str], dict]:
    """Every held-out draw of DRAWS scored in process with the site's pages and each
    page alone, their mean, and the ``top`` body paragraphs lost most often over all of
    them (a paragraph is in every draw three times): the table's lines and figures;
    ``sep``: how a dump's lines are joined (``Dump.sep``)."""
    lines = [
        "| held-out draw | site's pages: chrome P / R / F1 | body lost | alone: chrome F1 | body lost |",
        "|---|---|---|---|---|",
    ]
    results: dict = {}
    lost: Counter[str] = Counter()
    body = 0
    for seed in DRAWS:
        data = held_out(seed)
        for d in data:
            d.sep = sep
        site = score_outputs(data, cleaned(data, clean), lost=lost)
        alone = score_outputs(data, cleaned(data, clean, alone=True))
        body += sum(not c for d in data for c in d.chrome)
        results[str(seed)] = {"site": site, "alone": alone}
        lines.append(
            f"| {seed} | {site['chrome_precision']:.3f} / {site['chrome_recall']:.3f} / "
            f"**{site['chrome_f1']:.3f}** | {site['body_lost']:.2%} | "
            f"{alone['chrome_f1']:.3f} | {alone['body_lost']:.2%} |"
        )
        print(lines[-1], flush=True)
    mean = {
        mode: {
            k: sum(r[mode][k] for r in results.values()) / len(DRAWS)
            for k in ("chrome_f1", "body_lost")
        }
        for mode in ("site", "alone")
    }
    results["mean"] = mean
    lines.append(
        f"| mean of {len(DRAWS)} | **{mean['site']['chrome_f1']:.4f}** | "
        f"{mean['site']['body_lost']:.3%} | {mean['alone']['chrome_f1']:.4f} | "
        f"{mean['alone']['body_lost']:.3%} |"
    )
    print(lines[-1], flush=True)
    total = sum(lost.values())
    most = lost.most_common(top)
    share = sum(n for _, n in most) / total if total else 0.0
    lines += [
        "",
        f"Body paragraphs lost with the site's pages over the {len(DRAWS)} draws: {total} of "
        f"{body}; the {len(most)} lost most often ({len(DRAWS) * HELD_OUT_COPIES} copies each at most) are "
        f"{share:.0%} of them:",
        "",
        *[f"- {n} x {line[:120]}" for line, n in most],
    ]
    results["lost_most"] = [[line, n] for line, n in most]
    results["lost_total"] = total
    return lines, results


# ---------------------------------------------------------------- through the CLI

# The ingest day of the inboxes ``--cli`` writes (any real day: nothing scored depends on it).
CLI_DAY = "2024-05-14"


def dump_path(i: int, d: Dump, *, alone: bool) -> str:
    """Where dump ``i`` goes in the day's inbox folder. A ``.txt`` takes no sidecar (only
    an HTML page's ``.json`` is read; beside a ``.txt`` it would be an input of its own),
    so a site's pages share a source by their inbox folder (``repeats.source_key``, the
    last of its fallbacks, in docs/quality.md); ``alone``: every dump at the top of the
    day folder, where it has no source, so no evidence, as ``score(alone=True)`` has."""
    name = f"dump-{i:05d}.txt"
    return name if alone or d.site < 0 else f"site-{d.site:04d}/{name}"


def write_inbox(data: list[Dump], day_dir: Path, *, alone: bool) -> list[str]:
    """Write every dump, its lines joined by blank lines as ``score`` cleans it, as a
    UTF-8 text file under ``day_dir``; their paths (the published ``source_uri``)."""
    paths = [dump_path(i, d, alone=alone) for i, d in enumerate(data)]
    for rel, d in zip(paths, data, strict=True):
        path = day_dir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(d.text, "utf-8")
    return paths


@dataclass
class CliRun:
    """What one ``newsflow run`` published for a list of dumps, in their order."""

    outputs: list[list[str]]  # the text column split into paragraphs; [] when rejected
    rejects: list[str | None]  # the reject's reason, None when published
    duplicates: list[bool]  # flagged is_duplicate (a near or exact copy, still a row)
    titles: list[str | None]  # the title column: a line the cleaner took out of the text
    seconds: float  # wall time of the run
    stages: dict[str, float]  # seconds per stage, from the run manifest


def run_cli(data: list[Dump], root: Path, *, alone: bool) -> CliRun:
    """Put ``data`` in a fresh inbox under ``root``, run the real ``newsflow run`` on it
    as a subprocess (every stage, as a user runs it), and read back per dump its
    published text (``articles.text``: paragraphs joined by \\n), or its reject: the
    benchmark's bar is measured through the CLI, not on the cleaner's function."""
    import subprocess
    import time

    import pyarrow.parquet as pq
    from newsflow.registry import STAGES

    inbox, lake = root / "inbox", root / "lake"
    paths = write_inbox(data, inbox / CLI_DAY, alone=alone)
    cli = Path(sys.executable).with_name("newsflow")
    cmd = [str(cli), "run", "--inbox", str(inbox), "--lake", str(lake), "--day", CLI_DAY]
    t0 = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {done.returncode}:\n{done.stderr[-3000:]}")
    part = f"dt={CLI_DAY}/part-0.parquet"
    arts = pq.read_table(
        lake / "articles" / part, columns=["source_uri", "text", "is_duplicate", "title"]
    )
    rej = pq.read_table(lake / "rejects" / part, columns=["source_uri", "reason"]).to_pylist()
    published = {r["source_uri"]: r for r in arts.to_pylist()}
    reasons = {r["source_uri"]: r["reason"] for r in rej}
    manifest = lake / "_runs" / f"dt={CLI_DAY}" / "manifest.json"
    stages = json.loads(manifest.read_text("utf-8"))["stages"]
    missing = set(paths) - set(published) - set(reasons)
    if missing or len(published) + len(reasons) != len(paths):
        raise RuntimeError(f"{len(missing)} dumps neither published nor rejected: {missing}")
    return CliRun(
        [published[u]["text"].split("\n") if u in published else [] for u in paths],
        [reasons.get(u) for u in paths],
        [bool(published[u]["is_duplicate"]) if u in published else False for u in paths],
        [published[u]["title"] if u in published else None for u in paths],
        seconds,
        {k: stages[k]["seconds"] for k in STAGES if k in stages},
    )


def lost_as_title(data: list[Dump], outputs: list[list[str]], titles: list[str | None]) -> float:
    """Share of body paragraphs not in the text because the cleaner took one as the
    article's title (the ``title`` column): scored lost, as in process, though a reader
    of the table still has it."""
    from newsflow.clean.metadata import normalise_text

    body = lost = 0
    for d, out, title in zip(data, outputs, titles, strict=True):
        for line, is_chrome, kept in zip(d.lines, d.chrome, kept_lines(d.lines, out), strict=True):
            body += not is_chrome
            lost += not is_chrome and not kept and normalise_text(line) == title
    return lost / body if body else 0.0


def _prf(s: dict[str, float]) -> str:
    """A table cell: chrome P / R / F1, body lost, exact."""
    return (
        f"{s['chrome_precision']:.3f} / {s['chrome_recall']:.3f} / **{s['chrome_f1']:.3f}** | "
        f"{s['body_lost']:.2%} | {s['exact']:.2f}"
    )


def cli_tables(sets: dict[str, list[Dump]], clean, *, show: int = 0) -> tuple[list[str], dict]:
    """Each set through ``newsflow run`` twice (the site's pages in one folder per site;
    every page alone), scored as ``score`` scores, beside the in-process scores of the
    same dumps, and how many dumps' outputs differ between the two: the table's rows,
    and the figures for the JSON."""
    import tempfile

    lines = [
        "| set | layout | pages | dumps | rejected | flagged copies | CLI chrome P / R / F1 "
        "| CLI body lost | CLI exact | in-process chrome P / R / F1 | in-process body lost "
        "| in-process exact | outputs differ | body lost as the title |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    results: dict = {}
    notes: list[str] = []
    for name, data in sets.items():
        for alone in (False, True):
            mode = "alone" if alone else "site's pages"
            with tempfile.TemporaryDirectory(prefix="chrome_cli_") as tmp:
                run = run_cli(data, Path(tmp), alone=alone)
            ref = cleaned(data, clean, alone=alone)
            reasons = sorted({r.split(":")[0] for r in run.rejects if r})
            stages = ", ".join(f"{k} {v:.1f}" for k, v in run.stages.items())
            notes.append(
                f"{name}, {mode}: `newsflow run` {run.seconds:.1f} s wall for {len(data)} dumps "
                f"(stages' seconds: {stages}); rejects: {', '.join(reasons) or 'none'}"
            )
            results[f"{name} / {mode} / wall_seconds"] = run.seconds
            results[f"{name} / {mode} / stage_seconds"] = run.stages
            differ = [i for i in range(len(data)) if run.outputs[i] != ref[i]]
            for i in differ[:show]:
                cli_out, in_out = set(run.outputs[i]), set(ref[i])
                print(f"  dump {i} ({data[i].layout}, {run.rejects[i] or 'published'}):")
                for x in [x for x in ref[i] if x not in cli_out][:5]:
                    print(f"    in process only: {x[:140]}")
                for x in [x for x in run.outputs[i] if x not in in_out][:5]:
                    print(f"    CLI only: {x[:140]}")
            for layout in ("all", *sorted({d.layout for d in data})):
                at = [i for i, d in enumerate(data) if layout in ("all", d.layout)]
                part = [data[i] for i in at]
                got = score_outputs(part, [run.outputs[i] for i in at])
                want = score_outputs(part, [ref[i] for i in at])
                counts = {
                    "dumps": len(at),
                    "rejected": sum(run.rejects[i] is not None for i in at),
                    "flagged_duplicates": sum(run.duplicates[i] for i in at),
                    "outputs_differ": len(set(at) & set(differ)),
                    "body_lost_as_title": lost_as_title(
                        part, [run.outputs[i] for i in at], [run.titles[i] for i in at]
                    ),
                }
                results[f"{name} / {layout} / {mode}"] = counts | {"cli": got, "in_process": want}
                lines.append(
                    f"| {name} | {layout} | {mode} | {counts['dumps']} | {counts['rejected']} | "
                    f"{counts['flagged_duplicates']} | {_prf(got)} | {_prf(want)} | "
                    f"{counts['outputs_differ']} | {counts['body_lost_as_title']:.2%} |"
                )
                print(lines[-1], flush=True)
    return [*lines, "", *notes], results


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--train", action="store_true", help="fit the model, write its weights")
    ap.add_argument("--show", type=int, default=0, help="print this many lost/leaked lines")
    ap.add_argument(
        "--sets",
        choices=("all", "tune"),
        default="all",
        help="'tune': score (and --show) the tune side only, to read errors without the held-out",
    )
    ap.add_argument(
        "--seed",
        type=int,
        default=HELD_OUT_SEED,
        help="seed of the held-out draw: another seed is a fresh held-out set (new sites, "
        "chrome and groupings, still only held-out styles, articles and the 'mobile' "
        "layout); its table goes to chrome_dumps.seed<N>.table.md/.json",
    )
    ap.add_argument(
        "--cli",
        action="store_true",
        help="score through `newsflow run` (one run per set with one inbox folder per site, "
        "one with every page alone), beside the in-process figures of the same dumps; "
        "--show N prints N dumps whose outputs differ; table: chrome_dumps.cli[.seed<N>]",
    )
    ap.add_argument(
        "--draws",
        action="store_true",
        help="score the held-out side on every draw of DRAWS (in process, with the site's "
        "pages and alone), their mean and the body lines lost most often over them -> "
        "chrome_dumps.draws.table.md/.json",
    )
    ap.add_argument(
        "--newline",
        choices=("blank", "single"),
        default="blank",
        help="join a dump's lines with a blank line (default) or a single line break; "
        "'single' tables go to chrome_dumps[.cli].single[.seed<N>]",
    )
    args = ap.parse_args(argv)
    suffix = ".single" if args.newline == "single" else ""
    sep = "\n" if args.newline == "single" else "\n\n"
    from newsflow.clean import linemodel
    from newsflow.clean.chrome import strip_chrome
    from newsflow.clean.metadata import normalise_text

    if args.train:
        train(linemodel.WEIGHTS)
        linemodel.reload()

    def with_model(text: str, evidence) -> list[str]:
        return strip_chrome(normalise_text(text, keep_breaks=True), evidence=evidence).paragraphs

    def rules_only(text: str, evidence) -> list[str]:
        return strip_chrome(normalise_text(text, keep_breaks=True), model=False).paragraphs

    cleaners = (
        ("rules only", rules_only, True),
        ("rules + line model, page alone", with_model, True),
        ("rules + line model + site's pages", with_model, False),
    )

    if args.draws:
        lines, results = draws_table(with_model, sep=sep)
        print("\n".join(lines[lines.index("") :]), flush=True)
        _write_results("chrome_dumps.draws" + suffix, HELD_OUT_SEED, lines, results)
        return 0
    sets = {"tune (tune articles, seen styles)": dumps("tune", styles="tune", copies=1, seed=7)}
    if args.sets == "all":
        sets[held_out_name(args.seed)] = held_out(args.seed)
    for data in sets.values():
        for d in data:
            d.sep = sep
    if args.cli:
        return _write_cli(args, sets, with_model, suffix)
    lines = [
        "| set | layout | cleaner | dumps | chrome P | chrome R | chrome F1 | body lost | exact |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    results = {}
    for name, data in sets.items():
        for layout in ("all", *sorted({d.layout for d in data})):
            part = [d for d in data if layout in ("all", d.layout)]
            for label, fn, alone in cleaners:
                if fn is rules_only and layout != "all":
                    continue
                show = args.show if layout == "all" and fn is with_model and not alone else 0
                s = score(part, fn, show=show, alone=alone)
                results[f"{name} / {layout} / {label}"] = s
                lines.append(
                    f"| {name} | {layout} | {label} | {len(part)} | {s['chrome_precision']:.3f} | "
                    f"{s['chrome_recall']:.3f} | **{s['chrome_f1']:.3f}** | "
                    f"{s['body_lost']:.2%} | {s['exact']:.2f} |"
                )
                print(lines[-1], flush=True)
    speed = cleaner_speed(next(iter(sets.values())), with_model)
    print(f"speed (tune dumps, with the site's pages): {speed:.0f} lines/s", flush=True)
    lines.append(f"\nCleaner speed (tune dumps, with the site's pages): {speed:.0f} lines/s")
    if args.sets == "all":
        _write_results("chrome_dumps" + suffix, args.seed, lines, results)
    return 0


def _write_cli(args: argparse.Namespace, sets: dict[str, list[Dump]], clean, suffix: str) -> int:
    """``--cli``: print the tables of ``cli_tables``; write them for ``--sets all``."""
    lines, results = cli_tables(sets, clean, show=args.show)
    print("\n".join(lines[lines.index("") :]), flush=True)
    if args.sets == "all":
        _write_results("chrome_dumps.cli" + suffix, args.seed, lines, results)
    return 0


def _write_results(stem: str, seed: int, lines: list[str], results: dict) -> None:
    """The table and figures of a run, named for the held-out draw (``<stem>.seed<N>``
    for a draw other than HELD_OUT_SEED)."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    name = stem if seed == HELD_OUT_SEED else f"{stem}.seed{seed}"
    (RESULTS / f"{name}.table.md").write_text("\n".join(lines) + "\n", "utf-8")
    (RESULTS / f"{name}.json").write_text(json.dumps(results, indent=1), "utf-8")


if __name__ == "__main__":
    sys.exit(main())
