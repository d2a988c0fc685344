"""The phone shortcut never disagrees with phonenumbers: it answers the same or leaves the number to the library."""
from __future__ import annotations

import phonenumbers
from phonenumbers import PhoneNumberFormat, PhoneNumberType

from controltower.imports.phones import quick_e164, to_e164
from controltower.imports.validation import CellError, phone

REGIONS = ["US", "CA", "GB", "DE", "FR", "AU", "NZ", "IE", "NL", "BE", "ES", "IT", "AT", "CH", "DK", "SE", "NO", "PT",
           "PL", "MX", "BR", "AR", "JP", "IN", "ZA", "SG", "HK", "JE", "GG", "IM"]
TYPES = [PhoneNumberType.FIXED_LINE, PhoneNumberType.MOBILE, PhoneNumberType.TOLL_FREE, PhoneNumberType.VOIP,
         PhoneNumberType.FIXED_LINE_OR_MOBILE, PhoneNumberType.PERSONAL_NUMBER, PhoneNumberType.UAN]


def library(raw, region):
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def spellings(number, region):
    national = phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL)
    international = phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL)
    e164 = phonenumbers.format_number(number, PhoneNumberFormat.E164)
    digits = "".join(c for c in national if c.isdigit())
    return {national, international, e164, digits, digits[1:], digits[:-1], digits + "0", national.replace(" ", "-"),
            international.replace(" ", "."), e164[:-2], "0" + digits, "00" + e164[1:]}


def test_shortcut_agrees_with_the_library_on_every_example_number_and_its_typos():
    checked = answered = 0
    for region in REGIONS:
        for kind in TYPES:
            number = phonenumbers.example_number_for_type(region, kind)
            if number is None:
                continue
            for home in (region, "US", "GB", "DE"):
                for raw in spellings(number, region):
                    quick = quick_e164(raw, home)
                    checked += 1
                    if quick is not None:
                        answered += 1
                        assert quick == library(raw, home), (raw, home, region, kind)
    assert checked > 3000
    assert answered > checked // 4  # the shortcut does answer the common cases


def test_to_e164_and_the_cell_check():
    assert to_e164("(212) 736-5000", "US") == "+12127365000"
    assert to_e164("020 7946 0018", "GB") == "+442079460018"
    assert to_e164("+39 06 6982 0000", "DE") == "+390669820000"  # Italy keeps its leading zero
    assert phone("0170 1234567", "DE") == "+491701234567"
    for bad in ("12345", "call me", "+999 1234"):
        try:
            phone(bad, "US")
        except CellError as exc:
            assert "phone" in str(exc)
        else:
            raise AssertionError(bad)
