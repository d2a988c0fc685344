"""Carrier times that are local wall-clock times labelled "Z": which zone they were read in, and their real moment.

EasyPost documents that a tracking detail's `datetime` is given in the zone of its `tracking_location` when the
location is known, and in UTC when it is not; in practice the local time still ends in "Z". Shippo's
`status_date` does the same (acknowledged in its client libraries' issues). Read as UTC, a Houston 08:25 scan
shows as 02:25 in Houston. A time with a real, non-zero offset ("-06:00") is trusted as it is.
"""
from __future__ import annotations

import re
from datetime import datetime, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .units import parse_time

# Each state's zone where most of its people live (a few states span two zones: the larger side wins).
US_STATES = {
    "AL": "America/Chicago", "AK": "America/Anchorage", "AZ": "America/Phoenix", "AR": "America/Chicago",
    "CA": "America/Los_Angeles", "CO": "America/Denver", "CT": "America/New_York", "DE": "America/New_York",
    "DC": "America/New_York", "FL": "America/New_York", "GA": "America/New_York", "HI": "Pacific/Honolulu",
    "ID": "America/Boise", "IL": "America/Chicago", "IN": "America/Indiana/Indianapolis", "IA": "America/Chicago",
    "KS": "America/Chicago", "KY": "America/Kentucky/Louisville", "LA": "America/Chicago", "ME": "America/New_York",
    "MD": "America/New_York", "MA": "America/New_York", "MI": "America/Detroit", "MN": "America/Chicago",
    "MS": "America/Chicago", "MO": "America/Chicago", "MT": "America/Denver", "NE": "America/Chicago",
    "NV": "America/Los_Angeles", "NH": "America/New_York", "NJ": "America/New_York", "NM": "America/Denver",
    "NY": "America/New_York", "NC": "America/New_York", "ND": "America/Chicago", "OH": "America/New_York",
    "OK": "America/Chicago", "OR": "America/Los_Angeles", "PA": "America/New_York", "RI": "America/New_York",
    "SC": "America/New_York", "SD": "America/Chicago", "TN": "America/Chicago", "TX": "America/Chicago",
    "UT": "America/Denver", "VT": "America/New_York", "VA": "America/New_York", "WA": "America/Los_Angeles",
    "WV": "America/New_York", "WI": "America/Chicago", "WY": "America/Denver", "PR": "America/Puerto_Rico",
    "GU": "Pacific/Guam", "VI": "America/St_Thomas",
}
CA_PROVINCES = {
    "BC": "America/Vancouver", "AB": "America/Edmonton", "SK": "America/Regina", "MB": "America/Winnipeg",
    "ON": "America/Toronto", "QC": "America/Toronto", "NB": "America/Moncton", "NS": "America/Halifax",
    "PE": "America/Halifax", "NL": "America/St_Johns", "YT": "America/Whitehorse", "NT": "America/Yellowknife",
    "NU": "America/Iqaluit",
}
# Countries with one zone (a country with several and no state gives no zone: better no guess than a wrong one).
COUNTRIES = {
    "GB": "Europe/London", "IE": "Europe/Dublin", "FI": "Europe/Helsinki", "SE": "Europe/Stockholm",
    "NO": "Europe/Oslo", "DK": "Europe/Copenhagen", "DE": "Europe/Berlin", "NL": "Europe/Amsterdam",
    "BE": "Europe/Brussels", "FR": "Europe/Paris", "ES": "Europe/Madrid", "IT": "Europe/Rome", "AT": "Europe/Vienna",
    "CH": "Europe/Zurich", "PL": "Europe/Warsaw", "CZ": "Europe/Prague", "EE": "Europe/Tallinn", "LV": "Europe/Riga",
    "LT": "Europe/Vilnius", "GR": "Europe/Athens", "HU": "Europe/Budapest", "RO": "Europe/Bucharest",
    "JP": "Asia/Tokyo", "KR": "Asia/Seoul", "CN": "Asia/Shanghai", "HK": "Asia/Hong_Kong", "SG": "Asia/Singapore",
    "IN": "Asia/Kolkata", "IL": "Asia/Jerusalem", "AE": "Asia/Dubai", "NZ": "Pacific/Auckland",
    "ZA": "Africa/Johannesburg",
}
_COUNTRY_NAMES = {"USA": "US", "UNITED STATES": "US", "UNITED STATES OF AMERICA": "US", "CANADA": "CA",
                  "UNITED KINGDOM": "GB", "UK": "GB", "FINLAND": "FI", "SUOMI": "FI", "GERMANY": "DE"}


def zone_of_place(state: str | None = None, country: str | None = None) -> tzinfo | None:
    """The zone of a carrier's event location, or None when the location does not tell (no state in a country
    with several zones, an unknown country)."""
    country_code = (country or "").strip().upper()
    country_code = _COUNTRY_NAMES.get(country_code, country_code)
    state_code = (state or "").strip().upper()
    if country_code in ("US", "") and state_code in US_STATES:
        return ZoneInfo(US_STATES[state_code])
    if country_code in ("CA", "") and state_code in CA_PROVINCES:
        return ZoneInfo(CA_PROVINCES[state_code])
    if country_code in COUNTRIES:
        return ZoneInfo(COUNTRIES[country_code])
    return None


def zone_of_text(place: str | None) -> tzinfo | None:
    """The zone of a place written as one line, "CHARLESTON SC, 29401" (EasyPost's carrier_detail locations)."""
    for word in re.findall(r"\b[A-Z]{2}\b", (place or "").upper()):
        if word in US_STATES or word in CA_PROVINCES:
            return zone_of_place(word)
    return None


def zone_named(name: str | None) -> tzinfo | None:
    try:
        return ZoneInfo(name) if name else None
    except (ValueError, ZoneInfoNotFoundError):
        return None


def labelled_utc(value: object) -> bool:
    """True when the text claims UTC ("Z", "+00:00") or names no zone: the claim a local time wrongly makes."""
    text = str(value or "").strip()
    return bool(text) and (text.endswith(("Z", "z")) or re.search(r"[+-]00:?00$", text) is not None
                           or re.search(r"[+-]\d\d:?\d\d$", text) is None)


def wall_clock(value: object, zone: tzinfo | None) -> datetime | None:
    """A carrier time whose digits are the local clock in `zone` (whatever its label says), as an aware UTC moment.
    A time with a real offset, or no zone to read it in, is taken as written."""
    moment = parse_time(value)
    if moment is None or zone is None or not isinstance(value, str) or not labelled_utc(value):
        return moment
    local = moment.replace(tzinfo=None).replace(tzinfo=zone)
    return local.astimezone(timezone.utc)
