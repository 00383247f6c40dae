"""Lines of a page's interface (buttons, counters, contact labels) are dropped from
extracted HTML, article lines of the same shape stay (issue 19)."""

from datetime import date

import pytest
from newsflow.clean import clean_document
from newsflow.clean.interface import drop_interface_lines, is_interface_line
from newsflow.records import RawDoc, Reject

DAY = date(2024, 5, 14)


@pytest.mark.parametrize(
    "line",
    [
        "Bild anzeigen",
        "Alle Bilder anzeigen",
        "Show image",
        "Hide Images",
        "View comments",
        "Voir les commentaires",
        "Mostrar más",
        "Artikel teilen",
        "Seite drucken",
        "Inhaltsverzeichnis",
        "Table of contents",
        "3 Kommentare",
        "No comments",
        "Kommentare insgesamt: 0",
        "Telefon: +49 (0)40 300 30-1141",
        "Fax: 0201.2402-403",
        "January 13, 2020 at 08:45 AM | categories: Python | View Comments",
    ],
)
def test_interface_lines(line: str) -> None:
    assert is_interface_line(line)


@pytest.mark.parametrize(
    "line",
    [
        "Fotos",  # a heading: no action on the line
        "Kommentar",
        "Share prices fell sharply on Tuesday",
        "Show business",  # "business" is not an interface word
        "Zutaten:",
        "Telefon: Ortsgespräche sind kostenfrei",
        "Die Stadt will die Bilder anzeigen, sagte der Bürgermeister am Montag.",
        "| Team | Punkte |",
        "www.example.org",
    ],
)
def test_article_lines_stay(line: str) -> None:
    assert not is_interface_line(line)


def test_drop_keeps_the_order_of_the_other_lines() -> None:
    text = "Erster Absatz.\nBild anzeigen\nZweiter Absatz.\n3 Kommentare"
    assert drop_interface_lines(text) == "Erster Absatz.\nZweiter Absatz."


def _para(i: int) -> str:
    return (
        f"Absatz {i}: Der Teig wird mit Butter, Zucker und Eiern verrührt und "
        "anschließend eine Stunde lang im Kühlschrank ruhen gelassen, bevor er "
        "ausgerollt und mit der Füllung belegt wird."
    )


def test_gallery_buttons_between_paragraphs_leave_the_article() -> None:
    steps = "".join(
        f"<div class='step'><p>{_para(i)}</p><figure><img src='/{i}.jpg'>"
        "<figcaption><a href='#'>Bild anzeigen</a></figcaption></figure></div>"
        for i in range(6)
    )
    html = (
        "<html><head><title>Maulwurfkuchen</title></head><body><article>"
        f"<h1>Maulwurfkuchen</h1>{steps}</article></body></html>"
    )
    art = clean_document(RawDoc("k.html", "html", html, html.encode()), day=DAY)
    assert not isinstance(art, Reject)
    assert all(f"Absatz {i}:" in art["text"] for i in range(6))
    assert "Bild anzeigen" not in art["text"]
