"""Addresses as customers type them: an area's own addresses made messy (case, short forms, word order, a typo,
accents and postcode left out), to measure the offline geocoder against positions that are known."""
from __future__ import annotations

import random
import unicodedata

from ..domain import Address
from .address_text import STREET_WORDS
from .addresses import AddressPoint

_ENDINGS = sorted(STREET_WORDS, key=len, reverse=True)


def typo(text: str, rng: random.Random) -> str:
    """One slip of the finger in a letter after the first: a wrong letter, one left out, one extra, two swapped."""
    letters = [i for i, ch in enumerate(text) if ch.isalpha()][1:]
    if not letters:
        return text
    at, letter = rng.choice(letters), rng.choice("abcdefghijklmnoprstuvy")
    kind = rng.choice(("wrong", "missing", "extra", "swapped"))
    if kind == "wrong":
        return text[:at] + (letter if letter != text[at].lower() else "q") + text[at + 1:]
    if kind == "missing":
        return text[:at] + text[at + 1:]
    if kind == "extra":
        return text[:at] + letter + text[at:]
    if at + 1 < len(text) and text[at + 1] != text[at]:
        return text[:at] + text[at + 1] + text[at] + text[at + 2:]
    return text[:at] + text[at + 1:]


def abbreviated(street: str, rng: random.Random) -> str:
    """'Annankatu' -> 'Annank.', 'Mannerheimintie' -> 'Mannerheimint.', 'Main Street' -> 'Main St.'."""
    lower = street.lower()
    for ending in _ENDINGS:
        if lower.endswith(ending):
            return street[: len(street) - len(ending)] + rng.choice(STREET_WORDS[ending]) + "."
    return street


def _cased(text: str, rng: random.Random) -> str:
    how = rng.randrange(4)
    if how == 3:
        return "".join(ch.upper() if rng.random() < 0.5 else ch.lower() for ch in text)
    return (text.lower(), text.upper(), text.title())[how]


def _unaccented(text: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))


def messy_address(point: AddressPoint, rng: random.Random, *, country: str = "", with_typo: bool = True) -> Address:
    """The point's address as a hurried customer might type it: each form at random, a typo always (unless not);
    the town left out three times in ten, the postcode and the country (when given) every other time."""
    street = abbreviated(point.street, rng) if rng.random() < 0.5 else point.street
    if with_typo:
        street = typo(street, rng)
    if rng.random() < 0.5:
        street = _unaccented(street)
    street = _cased(street, rng)
    line = f"{point.housenumber} {street}" if rng.random() < 0.5 else f"{street} {point.housenumber}"
    return Address(line, point.city if rng.random() < 0.7 else "", point.postcode if rng.random() < 0.5 else "",
                   country if rng.random() < 0.5 else "")
