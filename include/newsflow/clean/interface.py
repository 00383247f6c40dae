"""Lines of a web page's interface that an extractor kept: buttons, counters, contact labels.

trafilatura keeps a block's text when the block sits among the article's paragraphs, so
the labels of a gallery's buttons ("Bild anzeigen", "Show image"), a comment counter or
link ("View Comments", "Keine Kommentare"), a table of contents' heading, or a press
contact's "Telefon: +49 …" line come out as lines of the article. They are recognised
by shape, not by site: a short line made only of interface words with at least one
action among them (in the languages of the benchmarks' and the pipeline's sources), a
meta line of ``|``-separated cells one of which is such a label, or a contact label
followed by nothing but a number or an address. A heading of the article ("Fotos",
"Kommentar") has no action word and stays.

Only for HTML: a text dump's boilerplate is the line model's job (``chrome``).
"""

from __future__ import annotations

import re


def _words(*languages: str) -> frozenset[str]:
    """One set of words from a string of words per language."""
    return frozenset(" ".join(languages).split())


# what an interface element does; one of these must be on the line
_ACTIONS = _words(
    # en
    "show view hide open close load expand collapse print share reply enlarge zoom",
    # de
    "anzeigen zeigen einblenden ausblenden öffnen schließen laden drucken teilen"
    " antworten vergrößern",
    # fr
    "afficher voir masquer ouvrir fermer charger imprimer partager répondre agrandir",
    # es, pt
    "mostrar ver ocultar abrir cerrar fechar cargar carregar imprimir compartir"
    " compartilhar responder ampliar",
    # it
    "mostra vedi nascondi apri chiudi carica stampa condividi rispondi ingrandisci",
    # nl
    "toon bekijk verberg open sluit afdrukken delen",
    # pl
    "pokaż ukryj otwórz zamknij drukuj udostępnij odpowiedz powiększ",
)
# what it acts on, and the little words around it
_OBJECTS = _words(
    "image images photo photos picture pictures gallery slideshow video comments comment"
    " article page all more less this the full size",
    " bild bilder foto fotos galerie bildergalerie video kommentare kommentar artikel"
    " seite alle mehr weniger diesen dieses den das die",
    " photo photos image images galerie vidéo commentaires commentaire article page"
    " tout toutes tous les la le l plus moins",
    " imagen imágenes imagem imagens foto fotos galería galeria vídeo comentarios"
    " comentários artículo artigo página todo todos todas las los el más",
    " immagine immagini foto galleria commenti articolo pagina tutti tutte",
    " afbeelding afbeeldingen reacties artikel pagina alle meer",
    " zdjęcie zdjęcia galeria komentarze artykuł stronę wszystkie więcej",
)
# a table of contents' own heading
_CONTENTS = frozenset(
    {
        "contents",
        "table of contents",
        "inhaltsverzeichnis",
        "inhalt",
        "sommaire",
        "table des matières",
        "índice",
        "indice",
        "contenido",
        "inhoud",
        "spis treści",
    }
)
_COMMENTS = (
    "comments?|kommentare?|commentaires?|comentarios?|comentários?|commenti|reacties|komentarz[ey]?"
)
# "3 Kommentare", "No comments", "View Comments", "Kommentare insgesamt: 0"
_COMMENT_COUNT = re.compile(
    rf"^(?:\d+|no|keine?|aucun|sin|nessun|geen|brak)\s+(?:{_COMMENTS})$"
    rf"|^(?:{_COMMENTS})(?:\s+(?:insgesamt|total))?\s*[:：]?\s*\d+$",
    re.IGNORECASE,
)
# a contact label and nothing but a phone number or an address after it
_CONTACT = re.compile(
    r"^(?:tel|tel\.|telefon|telephone|téléphone|teléfono|telefone|telefono|phone|fon|fax"
    r"|mobil|mobile|handy)\s*[:：]\s*[+\d][\d\s()./–-]{5,}$",
    re.IGNORECASE,
)
# a link to the next or previous article or page of a series ("Nächster Artikel",
# "Vorschau auf den nächsten Artikel", "Article suivant", "… weiter zu „Teil 2“")
_NEXT = r"next|previous|prev|older|newer|nächste[nrs]?|vorherige[nrs]?|suivante?|précédente?|siguiente|anterior|successivo|precedente|volgende|vorige|następny|poprzedni"
_ITEM = r"article|post|story|page|chapter|part|artikel|beitrag|seite|kapitel|teil|chapitre|partie|artículo|página|capítulo|parte|articolo|pagina|capitolo|artykuł|strona"
_PAGER = re.compile(
    rf"(?:^|\s)(?:{_NEXT})\s+(?:{_ITEM})\b|\b(?:{_ITEM})\s+(?:{_NEXT})$"
    r"|^(?:\.\.\.|…)?\s*(?:weiter zu|continue to|lire la suite|seguir leyendo)\b",
    re.IGNORECASE,
)
_WORD = re.compile(r"[^\W\d_]+")
_MAX_WORDS = 5


def is_interface_line(line: str) -> bool:
    """Whether ``line`` is a label of the page's interface rather than the article's."""
    text = " ".join(line.split()).strip()
    if not text or len(text) > 120:
        return False
    if " | " in text or text.startswith("|") or text.endswith("|"):
        cells = [c.strip() for c in text.split("|") if c.strip()]
        return len(cells) > 1 and any(_is_label(c) for c in cells)
    return _is_label(text)


def _is_label(text: str) -> bool:
    key = text.casefold().strip(" .:：…»«>-–")
    if key in _CONTENTS or _COMMENT_COUNT.match(key) or _CONTACT.match(text):
        return True
    if len(key.split()) <= _MAX_WORDS + 1 and _PAGER.search(key):
        return True
    # the line is words only (a number, a date or a name make it content)
    if re.search(r"\d", key):
        return False
    words = _WORD.findall(key)
    if not words or len(words) > _MAX_WORDS:
        return False
    return all(w in _ACTIONS or w in _OBJECTS for w in words) and any(w in _ACTIONS for w in words)


def drop_interface_lines(text: str) -> str:
    """``text`` without its interface lines (see ``is_interface_line``)."""
    return "\n".join(line for line in text.split("\n") if not is_interface_line(line))
