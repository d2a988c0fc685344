"""Address text as people type it, made comparable: folding, abbreviations, the house number found in a street line."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Street-type words and their short forms, per language; a street name ending in the word (alone or glued, as in
# Finnish and Swedish: "Annankatu" -> "Annank.") is also known by the short form.
STREET_WORDS: dict[str, tuple[str, ...]] = {
    # Finnish
    "katu": ("k",), "tie": ("t", "ti"), "kuja": ("kj",), "polku": ("pl", "p"), "puistotie": ("pt", "puistot"),
    "ranta": ("r", "rt"), "tori": ("tr",), "aukio": ("auk",), "valtatie": ("vt",), "kaari": ("kaa",), "rinne": ("rn",),
    # Swedish
    "gatan": ("g", "gt"), "vagen": ("v", "vg"), "grand": ("gr",), "stigen": ("st",), "torget": ("tg",),
    # German, Dutch
    "strasse": ("str", "st"), "weg": ("w",), "platz": ("pl",), "straat": ("str",), "laan": ("ln",),
    # English
    "street": ("st", "str"), "avenue": ("ave", "av"), "road": ("rd",), "drive": ("dr",), "lane": ("ln",),
    "boulevard": ("blvd", "bd"), "place": ("pl",), "square": ("sq",), "court": ("ct",), "highway": ("hwy",),
    "terrace": ("ter", "tce"), "crescent": ("cres",), "close": ("cl",), "parkway": ("pkwy",), "way": ("wy",),
}
# Longest first: "puistotie" is matched before "tie".
_ENDINGS = sorted(STREET_WORDS, key=len, reverse=True)
_HOUSE = re.compile(r"^(\d+)([a-z]?)$")
_UNIT_WORDS = {"as", "asunto", "krs", "floor", "apt", "apartment", "unit", "flat", "suite", "lgh", "c", "o", "bostad"}


def fold(text: str, keep_ranges: bool = False) -> str:
    """Lower case, no accents, words only: 'Töölönkatu 5-7 B' -> 'toolonkatu 5 7 b' ('5-7' with keep_ranges)."""
    text = unicodedata.normalize("NFKD", (text or "").lower().replace("ß", "ss"))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    if keep_ranges:
        text = re.sub(r"(\d)\s*[-\u2013]\s*(\d)", "\\1\u2013\\2", text)  # an en dash survives the next line
    return " ".join(re.sub(r"[^\w\u2013]+|_", " ", text).split()).replace("\u2013", "-")


def street_key(name: str) -> str:
    """The street's name folded, its dotted or glued short form spelled out where it is unambiguous."""
    words = fold(name).split()
    return " ".join(words)


def street_aliases(key: str) -> set[str]:
    """The forms a street is typed in: its key, its short forms ('annankatu' -> 'annank', 'annan k'), and each of
    those with its words in sorted order (word order does not matter)."""
    forms = {key}
    words = key.split()
    if words:
        last = words[-1]
        for ending in _ENDINGS:
            if last == ending:
                forms.update(" ".join(words[:-1] + [short]) for short in STREET_WORDS[ending])
                break
            if last.endswith(ending) and len(last) > len(ending) + 2:
                stem = last[: -len(ending)]
                for short in STREET_WORDS[ending]:
                    forms.add(" ".join(words[:-1] + [stem + short]))
                    forms.add(" ".join(words[:-1] + [stem, short]))
                    forms.add(" ".join(words[:-1] + [stem, ending]))
                break
    return {form for form in forms if form} | {sorted_words(form) for form in forms if form}


def sorted_words(text: str) -> str:
    return " ".join(sorted(text.split()))


def house_key(housenumber: str) -> str:
    """'20 B' -> '20b', '14-20' -> '14-20', '2, 2. krs./Floor 2' -> '2': what an address point is found by."""
    first = (housenumber or "").split(",")[0].split(";")[0]
    return fold(first, keep_ranges=True).replace(" ", "")


def house_number(key: str) -> int | None:
    """The leading number of a house key: '20b' -> 20, '14-20' -> 14."""
    match = re.match(r"\d+", key or "")
    return int(match.group()) if match else None


def range_members(key: str) -> list[str]:
    """The numbers a range covers on its side of the street: '14-20' -> ['14', '16', '18', '20']; [] otherwise."""
    match = re.fullmatch(r"(\d+)-(\d+)", key)
    if not match:
        return []
    low, high = int(match.group(1)), int(match.group(2))
    if not (low < high <= low + 20):
        return []
    step = 2 if (high - low) % 2 == 0 else 1
    return [str(number) for number in range(low, high + 1, step)]


@dataclass(frozen=True)
class StreetLine:
    """A street line taken apart: the street's words, the house keys to try (best first) and its house number."""

    street: str
    house_keys: tuple[str, ...]
    number: int | None
    postcode: str = ""  # found inside the line ("Mannerheimintie 5, 00100 Helsinki")
    city: str = ""


def parse_street_line(line: str) -> StreetLine:
    """'Mannerheimintie 5 A 12', '5 Mannerheimintie', 'Annank. 7b, 00120 Helsinki' -> street, house keys, number."""
    parts = [part.strip() for part in re.split(r"[,\n]", line or "") if part.strip()]
    postcode = city = ""
    street_part = parts[0] if parts else ""
    for part in parts[1:]:
        found = re.match(r"^(\d{4,6})\s*(.*)$", part)
        if found:
            postcode, city = found.group(1), found.group(2)
        elif not re.search(r"\d", street_part) and re.search(r"\d", part):
            street_part = part  # "Asemahalli, Kaivokatu 1": the part with the number is the street
        elif not city and not re.search(r"\d", part):
            city = part
    words = fold(street_part, keep_ranges=True).split()
    at = next((i for i, word in enumerate(words) if re.match(r"^\d+[a-z]?(-\d+[a-z]?)?$", word)), None)
    if at is None:
        return StreetLine(fold(" ".join(words)), (), None, postcode, city)
    number_word = words[at]
    letter = ""
    following = words[at + 1] if at + 1 < len(words) else ""
    if len(following) == 1 and following.isalpha():
        letter = following
    if at > 0:
        street_words = words[:at]
    else:  # "5 Mannerheimintie", "11 B 9 Erottajankatu": the street is the first run of words after the number
        street_words = []
        for word in words[1 + bool(letter):]:
            if word in _UNIT_WORDS or word[0].isdigit() or (len(word) == 1 and not street_words):
                if street_words:
                    break
                continue
            street_words.append(word)
    keys = [number_word + letter, number_word] if letter else [number_word]
    if "-" in number_word:
        keys.append(number_word.split("-")[0])
    return StreetLine(fold(" ".join(street_words)), tuple(dict.fromkeys(keys)), house_number(number_word), postcode, city)
