"""Text dumps wrapped in generated site chrome: train and score the line classifier.

    .venv/bin/python benchmarks/chrome_dumps.py --train   # fit, write linemodel.json
    .venv/bin/python benchmarks/chrome_dumps.py           # score rules vs rules + model

A dump is a real article's paragraphs (AEB ground truth) wrapped in chrome of one
generated site style: navigation and breadcrumbs, cookie-consent banners, share rows,
author bios, tag lists, "Read more" teasers in mid-text, related-article lists,
newsletter calls, time stamps, captions, ads, mastheads and footers, in English, German, Spanish
and French, each from many templates with random names, sites and dates.

Held out, twice over: the model is trained on dumps of AEB "tune" articles (the
benchmark's hash split) using every template whose index is not a multiple of three;
it is scored on dumps of AEB "held-out" articles using only the other templates
(styles it never saw), and on the tune side for comparison. Scores: chrome-line
precision/recall/F1 (a chrome line counts as found when it is not in the output),
the share of body paragraphs lost, and the share of dumps whose output is exactly
the article.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))
RESULTS = REPO / "benchmarks" / "results"

NAMES = ["Anna Keller", "John Smith", "María López", "Pierre Martin", "Yuki Tanaka", "Sam Okafor"]
NAMES += ["Lena Fischer", "David Chen", "Sofia Rossi", "Tom Baker", "Amira Haddad", "Jonas Berg"]
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
SECTIONS = ["World", "Business", "Politics", "Sport", "Tech", "Culture", "Wirtschaft", "Política"]
SECTIONS += ["Monde", "Science", "Health", "Lokales", "Economía", "Opinion"]
TOPICS = ["Japan", "Climate", "Elections", "Energy", "Trade", "Football", "AI", "Housing"]
TOPICS += ["Inflation", "Europe", "Migration", "Health care", "Transport", "Education"]
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


def _pool(name: str, held_out: bool) -> list[str]:
    return [x for i, x in enumerate(POOLS[name]) if _style_ok(i, held_out)]


def _style_ok(index: int, held_out: bool) -> bool:
    return (index % 3 == 0) == held_out


def _fill(tpl: str, rng: random.Random, held_out: bool = False) -> str:
    def pick(name: str) -> str:
        return rng.choice(_pool(name, held_out))

    name = rng.choice(NAMES)
    t1, t2 = rng.sample(TOPICS, 2)
    sep = pick("sep")
    share_w = pick("sharew")
    platforms = rng.sample(_pool("platform", held_out), rng.randint(2, 4))
    share = sep.join(
        [share_w, *platforms] if rng.random() < 0.5 else [f"{share_w} {p}" for p in platforms]
    )
    links = sep.join(rng.sample(_pool("sitelink", held_out), rng.randint(3, 6)))
    pre = pick("pre")
    return tpl.format(
        n=name,
        u=name.split()[0].lower(),
        s=rng.choice(SITES),
        S=rng.choice(SITES).upper(),
        c=rng.choice(SECTIONS),
        t=t1,
        t2=t2,
        h=rng.choice(HEADLINES),
        d=f"{rng.randint(1, 28)} {rng.choice(['May', 'June', 'März', 'mayo', 'juin'])} 20{rng.randint(10, 25)}",
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


def make_dump(body: list[str], rng: random.Random, *, held_out: bool) -> Dump:
    """One article in the chrome of one random site style."""
    cats = {
        c: [t for i, t in enumerate(ts) if _style_ok(i, held_out)] for c, ts in TEMPLATES.items()
    }
    style = {c: rng.sample(ts, k=min(len(ts), rng.randint(1, 3))) for c, ts in cats.items()}
    use = {c: rng.random() < 0.7 for c in cats}

    def some(cat: str, k: int = 1) -> list[str]:
        return [_fill(rng.choice(style[cat]), rng, held_out) for _ in range(k)] if use[cat] else []

    head = (
        some("masthead", rng.randint(1, 2))
        + some("consent")
        + some("nav", rng.randint(1, 2))
        + some("stamp")
        + some("share")
        + some("caption")
    )
    rng.shuffle(head)
    if rng.random() < 0.6:  # the headline above the body: the title, not body text
        head.insert(rng.randint(0, len(head)), rng.choice(HEADLINES))
    lines: list[tuple[str, bool]] = [(x, True) for x in head]
    for i, para in enumerate(body):
        lines.append((para, False))
        if 0 < i < len(body) - 1:
            r = rng.random()
            if r < 0.08:
                lines += [(x, True) for x in some("teaser")]
            elif r < 0.12:
                lines += [(x, True) for x in some("ad")]
            elif r < 0.15:
                lines += [(x, True) for x in some("caption")]
    tail = some("share") + some("tags") + some("bio") + some("cta")
    if use["related"]:
        tail += some("related") + [rng.choice(HEADLINES) for _ in range(rng.randint(2, 5))]
    tail += some("footer", rng.randint(1, 3)) + some("consent")
    lines += [(x, True) for x in tail]
    return Dump([x for x, _ in lines], [c for _, c in lines])


def bodies(split: str) -> list[list[str]]:
    """AEB article bodies of one split, as paragraphs."""
    import extraction as E

    truth = json.loads((E.EVAL / "aeb" / "ground-truth.json").read_text("utf-8"))
    out = []
    for pid in sorted(truth):
        if E.split_of(pid) != split:
            continue
        paras = [" ".join(p.split()) for p in truth[pid]["articleBody"].split("\n")]
        paras = [p for p in paras if p]
        if len(paras) >= 2:
            out.append(paras)
    return out


def dumps(split: str, *, held_out_styles: bool, copies: int, seed: int) -> list[Dump]:
    rng = random.Random(seed)
    return [
        make_dump(b, rng, held_out=held_out_styles) for b in bodies(split) for _ in range(copies)
    ]


# ---------------------------------------------------------------- training


def train(out: Path) -> None:
    import numpy as np
    from newsflow.clean import linemodel
    from newsflow.clean.chrome import rule_verdicts, split_lines
    from scipy.sparse import csr_matrix
    from sklearn.linear_model import LogisticRegression

    data = dumps("tune", held_out_styles=False, copies=6, seed=1)
    rows, cols, vals, y = [], [], [], []
    n = 0
    for d in data:
        lines = split_lines("\n\n".join(d.lines))
        if lines != d.lines:  # a line the splitter joins or splits: labels would not align
            continue
        verdicts, _ = rule_verdicts(lines)
        for i in range(len(lines)):
            for k, v in linemodel.vector(linemodel.features(lines, i, verdicts)).items():
                rows.append(n)
                cols.append(k)
                vals.append(v)
            y.append(d.chrome[i])
            n += 1
    x = csr_matrix((vals, (rows, cols)), shape=(n, linemodel.DIM))
    # body paragraphs weigh more: losing article text is worse than leaking a line
    weight = np.where(np.array(y), 1.0, 3.0)
    model = LogisticRegression(penalty="l1", C=2.0, solver="liblinear", max_iter=200)
    model.fit(x, np.array(y), sample_weight=weight)
    coef = model.coef_[0]
    weights = {str(i): round(float(coef[i]), 4) for i in np.flatnonzero(coef)}
    out.write_text(
        json.dumps({"intercept": float(model.intercept_[0]), "weights": weights}), "utf-8"
    )
    print(f"trained on {n} lines of {len(data)} dumps; {len(weights)} weights -> {out}")


# ---------------------------------------------------------------- scoring


def score(data: list[Dump], clean) -> dict[str, float]:
    """Chrome-line P/R/F1, share of body paragraphs lost, share of exact outputs."""
    tp = fp = fn = lost = body_n = exact = 0
    for d in data:
        kept = set(clean("\n\n".join(d.lines)))
        for line, is_chrome in zip(d.lines, d.chrome, strict=True):
            dropped = line not in kept
            if is_chrome:
                tp += dropped
                fn += not dropped
            else:
                body_n += 1
                fp += dropped
                lost += dropped
        exact += [x for x, c in zip(d.lines, d.chrome, strict=True) if not c] == clean(
            "\n\n".join(d.lines)
        )
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return {
        "chrome_precision": p,
        "chrome_recall": r,
        "chrome_f1": 2 * p * r / (p + r) if p + r else 0.0,
        "body_lost": lost / body_n if body_n else 0.0,
        "exact": exact / len(data),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--train", action="store_true", help="fit the model, write its weights")
    args = ap.parse_args(argv)
    from newsflow.clean import linemodel
    from newsflow.clean.chrome import strip_chrome
    from newsflow.clean.metadata import normalise_text

    if args.train:
        train(linemodel.WEIGHTS)
        linemodel._weights.cache_clear()

    def with_model(text: str) -> list[str]:
        return strip_chrome(normalise_text(text)).paragraphs

    def rules_only(text: str) -> list[str]:
        return strip_chrome(normalise_text(text), model=False).paragraphs

    sets = {
        "tune (tune articles, seen styles)": dumps("tune", held_out_styles=False, copies=1, seed=7),
        "held-out (held-out articles, unseen styles)": dumps(
            "held-out", held_out_styles=True, copies=3, seed=8
        ),
    }
    lines = [
        "# Text dumps in generated site chrome",
        "",
        "Command: `.venv/bin/python benchmarks/chrome_dumps.py` (see its docstring for the data).",
        "",
        "| set | cleaner | dumps | chrome P | chrome R | chrome F1 | body paragraphs lost | exact |",
        "|---|---|---|---|---|---|---|---|",
    ]
    results = {}
    for name, data in sets.items():
        for label, fn in (("rules only", rules_only), ("rules + line model", with_model)):
            s = score(data, fn)
            results[f"{name} / {label}"] = s
            lines.append(
                f"| {name} | {label} | {len(data)} | {s['chrome_precision']:.3f} | "
                f"{s['chrome_recall']:.3f} | **{s['chrome_f1']:.3f}** | {s['body_lost']:.2%} | "
                f"{s['exact']:.2f} |"
            )
            print(lines[-1], flush=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "chrome_dumps.md").write_text("\n".join(lines) + "\n", "utf-8")
    (RESULTS / "chrome_dumps.json").write_text(json.dumps(results, indent=1), "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
