"""Phone numbers to E.164 with phonenumbers; a shortcut for plainly written numbers keeps big imports fast."""
from __future__ import annotations

import re
from functools import lru_cache

import phonenumbers
from phonenumbers import COUNTRY_CODE_TO_REGION_CODE, PhoneMetadata

_PLAIN = re.compile(r"\+?[0-9(][0-9 ().\-/]{5,22}")
_NOT_DIGITS = re.compile(r"\D")


@lru_cache(maxsize=None)
def _rules(region: str):
    """What the shortcut needs from the library's metadata for one region, or None to always use the full parser."""
    meta = PhoneMetadata.metadata_for_region(region)
    if meta is None or meta.national_prefix_transform_rule:
        return None
    national_pattern = re.compile(meta.general_desc.national_number_pattern)
    prefix_pattern = re.compile(meta.national_prefix_for_parsing) if meta.national_prefix_for_parsing else None
    idd = re.compile(meta.international_prefix) if meta.international_prefix else None
    return meta.country_code, meta.national_prefix or "", prefix_pattern, idd, frozenset(meta.general_desc.possible_length), national_pattern


def quick_e164(raw: str, region: str) -> str | None:
    """E.164 for a plainly written number, decided from phonenumbers' own metadata; None means "ask the full parser".

    It only answers when the answer is unambiguous (right length, matches the country's number pattern, no
    extension, no dialling prefix); every other case, and every rejection, goes through phonenumbers.parse.
    """
    if not _PLAIN.fullmatch(raw):
        return None
    digits = _NOT_DIGITS.sub("", raw)
    if raw.startswith("+"):
        for size in (1, 2, 3):
            regions = COUNTRY_CODE_TO_REGION_CODE.get(int(digits[:size]))
            if regions:
                break
        else:
            return None
        rules = _rules(regions[0])
        if rules is None:
            return None
        national = digits[size:]
        if rules[1] and national.startswith(rules[1]):
            return None  # "+44 (0)20 ...": leave the (0) to the library
    else:
        rules = _rules(region)
        if rules is None:
            return None
        if rules[3] is not None and rules[3].match(digits):
            return None  # starts with an international dialling prefix (00, 011)
        national = digits
        if rules[2] is not None:
            match = rules[2].match(digits)
            if match and match.group(0):
                if match.group(0) != rules[1] or any(match.groups()):
                    return None  # a carrier code or special prefix: the library knows what to do
                national = digits[len(match.group(0)):]
    country_code, _prefix, _pattern, _idd, lengths, national_pattern = rules
    if len(national) not in lengths or not national_pattern.fullmatch(national):
        return None
    return f"+{country_code}{national}"


def to_e164(raw: str, region: str) -> str:
    """Raises phonenumbers.NumberParseException or ValueError("not possible") like the full check would."""
    quick = quick_e164(raw, region)
    if quick is not None:
        return quick
    number = phonenumbers.parse(raw, region)
    # is_possible_number checks the length for the number's country: it rejects typos and truncated numbers at a
    # fraction of is_valid_number's cost (which matches every number-type pattern and would halve import speed).
    if not phonenumbers.is_possible_number(number):
        raise ValueError(phonenumbers.region_code_for_country_code(number.country_code) or region)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
