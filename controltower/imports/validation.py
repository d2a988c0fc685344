"""Checking and cleaning one cell: phone numbers, emails, postcodes per country, dates, quantities, money."""
from __future__ import annotations

import re
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from zoneinfo import ZoneInfo

import phonenumbers

from ..domain import DeliveryOption, Money
from ..domain.money import exponent
from .phones import to_e164


class CellError(ValueError):
    """A cell that can't be used; the message is the plain reason shown to the user."""


COUNTRY_NAMES = {
    "united states": "US", "united states of america": "US", "usa": "US", "u s a": "US", "america": "US",
    "united kingdom": "GB", "uk": "GB", "great britain": "GB", "england": "GB", "scotland": "GB", "wales": "GB",
    "northern ireland": "GB", "canada": "CA", "germany": "DE", "deutschland": "DE", "france": "FR",
    "australia": "AU", "new zealand": "NZ", "ireland": "IE", "netherlands": "NL", "the netherlands": "NL",
    "nederland": "NL", "belgium": "BE", "belgique": "BE", "spain": "ES", "españa": "ES", "espana": "ES",
    "italy": "IT", "italia": "IT", "austria": "AT", "österreich": "AT", "switzerland": "CH", "schweiz": "CH",
    "suisse": "CH", "denmark": "DK", "sweden": "SE", "norway": "NO", "portugal": "PT", "poland": "PL", "mexico": "MX",
}


def country_code(text: str, default: str) -> str:
    if len(text) == 2 and text.isascii() and text.isupper() and text in phonenumbers.SUPPORTED_REGIONS:
        return text  # the usual case: a clean two-letter code
    cleaned = text.strip()
    if not cleaned:
        return default
    if len(cleaned) == 2 and cleaned.isalpha():
        code = cleaned.upper()
        code = "GB" if code == "UK" else code
        if code in phonenumbers.SUPPORTED_REGIONS:
            return code
    code = COUNTRY_NAMES.get(re.sub(r"[^\w]+", " ", cleaned.lower()).strip())
    if code:
        return code
    raise CellError(f"“{cleaned}” is not a country we know; use a two-letter code such as US, GB or DE")


# Postcode shapes: the pattern a valid code matches after clean_postcode() normalised spacing and case.
_POSTCODE_SHAPES = {
    "US": (r"\d{5}(-\d{4})?", "5 digits, such as 62701 or 62701-1234"),
    "GB": (r"(GIR 0AA|[A-Z]{1,2}\d[A-Z\d]? \d[A-Z]{2})", "like SW1A 1AA"),
    "CA": (r"[ABCEGHJ-NPRSTVXY]\d[A-Z] \d[A-Z]\d", "like K1A 0B1"),
    "DE": (r"\d{5}", "5 digits, such as 10115"),
    "FR": (r"\d{5}", "5 digits, such as 75008"),
    "ES": (r"\d{5}", "5 digits"),
    "IT": (r"\d{5}", "5 digits"),
    "AU": (r"\d{4}", "4 digits, such as 2000"),
    "NZ": (r"\d{4}", "4 digits"),
    "AT": (r"\d{4}", "4 digits"),
    "BE": (r"\d{4}", "4 digits"),
    "CH": (r"\d{4}", "4 digits"),
    "DK": (r"\d{4}", "4 digits"),
    "NO": (r"\d{4}", "4 digits"),
    "NL": (r"\d{4} [A-Z]{2}", "like 1012 AB"),
    "IE": (r"[AC-FHKNPRTV-Y]\d{2}|D6W [0-9AC-FHKNPRTV-Y]{4}|[AC-FHKNPRTV-Y]\d{2} [0-9AC-FHKNPRTV-Y]{4}", "an Eircode like D02 X285"),
    "SE": (r"\d{3} \d{2}", "like 114 55"),
    "PT": (r"\d{4}-\d{3}", "like 1100-148"),
    "PL": (r"\d{2}-\d{3}", "like 00-950"),
}
_POSTCODE_RE = {c: re.compile(p) for c, (p, _) in _POSTCODE_SHAPES.items()}
_POSTCODE_OPTIONAL = {"IE", "HK", "AE"}
# Spreadsheets drop leading zeros from codes that look like numbers (New Jersey, Dresden, Paris suburbs...).
_ZERO_PADDED = {"US": 5, "DE": 5, "FR": 5, "ES": 5, "IT": 5, "AU": 4}


def clean_postcode(text: str, country: str) -> str:
    code = text.strip().lstrip("'").upper()
    if "  " in code or "\t" in code or "\n" in code or "\r" in code or "\xa0" in code:
        code = " ".join(code.split())
    width = _ZERO_PADDED.get(country)
    if width and code.isdigit() and width - 2 <= len(code) < width:
        code = code.zfill(width)
    if country in ("GB", "CA", "IE", "NL", "SE") and code:
        compact = code.replace(" ", "")
        split = {"GB": 3, "CA": 3, "IE": 4, "NL": 2, "SE": 2}[country]
        if len(compact) > split:
            code = compact[:-split] + " " + compact[-split:]
    return code


def postcode(text: str, country: str) -> str:
    code = clean_postcode(text, country)
    if not code:
        if country in _POSTCODE_OPTIONAL:
            return ""
        raise CellError("postcode is missing")
    pattern = _POSTCODE_RE.get(country)
    if pattern is None:
        if len(code) > 12:
            raise CellError(f"postcode “{text.strip()}” is too long")
        return code
    if not pattern.fullmatch(code):
        raise CellError(f"postcode “{text.strip()}” is not a {country} postcode ({_POSTCODE_SHAPES[country][1]})")
    return code


@lru_cache(maxsize=65536)
def phone(text: str, country: str) -> str:
    """A phone number in E.164 (+4420...), read as the customer's country when it has no +code."""
    raw = text.strip().lstrip("'")
    if not raw:
        return ""
    try:
        return to_e164(raw, country)
    except phonenumbers.NumberParseException:
        raise CellError(f"phone “{raw}” is not a phone number") from None
    except ValueError as exc:
        raise CellError(f"phone “{raw}” is not a possible phone number for {exc}") from None


_EMAIL = re.compile(r"[^@\s,;<>]+@[^@\s,;<>]+\.[A-Za-z]{2,}")


def email(text: str) -> str:
    value = text.strip()
    if value and not _EMAIL.fullmatch(value):
        raise CellError(f"email “{value}” is not an email address")
    return value


def quantity(text: str, what: str = "quantity", default: int = 1) -> int:
    value = text.strip()
    if not value:
        return default
    if len(value) < 6 and value.isascii() and value.isdigit() and value != "0" * len(value):
        return int(value)  # the usual case: a plain whole number from 1 to 99,999
    try:
        number = Decimal(value.replace(",", ""))
    except InvalidOperation:
        raise CellError(f"{what} “{value}” is not a number") from None
    if number != number.to_integral_value():
        raise CellError(f"{what} “{value}” is not a whole number")
    if number < 1:
        raise CellError(f"{what} must be at least 1, not {value}")
    if number > 100_000:
        raise CellError(f"{what} {value} is too large")
    return int(number)


_PLAIN_AMOUNT = re.compile(r"(\d{1,15})(?:\.(\d{1,3}))?")


def money_minor(text: str, currency: str) -> int:
    """An amount in the currency's minor units (12.50 USD -> 1250); blank is zero."""
    value = text.strip()
    if not value:
        return 0
    match = _PLAIN_AMOUNT.fullmatch(value)
    if match:  # the usual case, "12.5" or "1250", without Decimal
        whole, fraction = match.groups()
        digits = exponent(currency)
        if fraction is None or len(fraction) <= digits:
            return int(whole) * 10 ** digits + int((fraction or "").ljust(digits, "0") or 0)
    return money(value, currency).amount_minor


def money(text: str, currency: str) -> Money:
    value = text.strip()
    if not value:
        return Money.zero(currency)
    try:
        amount = Money.parse(value.replace(" ", ""), currency)
    except (ArithmeticError, ValueError):
        raise CellError(f"amount “{value}” is not a number") from None
    if amount.amount_minor < 0:
        raise CellError(f"amount {value} is negative")
    return amount


_GRAMS_PER = {"g": 1, "kg": 1000, "lb": 453.59237, "oz": 28.349523125}


def weight_grams(text: str, unit: str) -> int:
    value = text.strip().lower()
    if not value:
        return 0
    match = re.fullmatch(r"([0-9.,]+)\s*(g|kg|lb|lbs|oz)?", value)
    if not match:
        raise CellError(f"weight “{text.strip()}” is not a weight")
    try:
        number = Decimal(match.group(1).replace(",", "."))
    except InvalidOperation:
        raise CellError(f"weight “{text.strip()}” is not a number") from None
    written_unit = (match.group(2) or unit).rstrip("s") if match.group(2) else unit
    return int(round(float(number) * _GRAMS_PER.get(written_unit, 1)))


_DATE_FORMATS = {
    "ymd": ("%Y-%m-%d %H:%M:%S %z", "%Y-%m-%d %H:%M %z", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y/%m/%d"),
    "dmy": ("%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y", "%d.%m.%Y %H:%M", "%d.%m.%Y", "%d-%m-%Y"),
    "mdy": ("%m/%d/%Y %H:%M:%S", "%m/%d/%Y %I:%M %p", "%m/%d/%Y %H:%M", "%m/%d/%Y", "%m-%d-%Y"),
}


@lru_cache(maxsize=16)
def _zone(name: str):
    return ZoneInfo(name)


@lru_cache(maxsize=65536)
def moment(text: str, timezone_name: str = "UTC", date_order: str = "ymd") -> datetime | None:
    """A point in time, tz-aware; a time written without an offset is in the shop's timezone."""
    value = text.strip()
    if not value:
        return None
    parsed = None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        formats = _DATE_FORMATS["ymd"] + (_DATE_FORMATS.get(date_order, ()) if date_order != "ymd" else ())
        for fmt in formats:
            try:
                parsed = datetime.strptime(value, fmt)
                break
            except ValueError:
                continue
    if parsed is None:
        hint = " (day/month/year)" if date_order == "dmy" else " (month/day/year)" if date_order == "mdy" else ""
        raise CellError(f"date “{value}” is not a date we can read{hint}; use 2025-03-31 14:00")
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=_zone(timezone_name))
    if not (2000 <= parsed.year <= 2100):
        raise CellError(f"date “{value}” is out of range")
    return parsed


@lru_cache(maxsize=4096)
def whole_day(start: datetime) -> tuple[datetime, datetime]:
    """A date without a time promises the whole day."""
    day_start = start.replace(hour=0, minute=0, second=0, microsecond=0)
    return day_start, day_start + timedelta(days=1) - timedelta(seconds=1)


_OPTION_WORDS = (
    ("same_day", ("same day", "same-day", "sameday", "same_day", "today")),
    ("pickup", ("pickup", "pick up", "pick-up", "collect", "click & collect", "local pickup", "in store")),
    ("express", ("express", "next day", "overnight", "priority")),
    ("scheduled", ("scheduled", "time slot", "timeslot", "window")),
)


def delivery_option(text: str, default: str) -> str:
    value = text.strip().lower()
    if not value:
        return default
    for option in DeliveryOption:
        if value == option.value:
            return option.value
    for option, words in _OPTION_WORDS:
        if any(word in value for word in words):
            return option
    return default


def currency(text: str, default: str) -> str:
    value = text.strip().upper()
    if not value:
        return default
    if not re.fullmatch(r"[A-Z]{3}", value):
        raise CellError(f"currency “{text.strip()}” is not a three-letter code such as USD")
    return value
