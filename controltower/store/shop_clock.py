"""The shop's clock: its time zone and its day, worked out in this one place for every part of the app.

The zone is the `shop.timezone` setting; before one is set (or when it names no zone this computer knows),
the computer's own zone, because a local-first app runs where the shop is. "Today" is always the shop's
calendar day, never the UTC date: at 19:10 in Portland it is still today there, though UTC is on tomorrow.
"""
from __future__ import annotations

import sqlite3
from datetime import date, datetime, time, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import tzlocal

from ..domain.timeutil import UTC, utcnow

SETTING = "shop.timezone"


def configured_zone(conn: sqlite3.Connection) -> ZoneInfo | None:
    """The zone the shop set in Settings, or None when none (or an unknown one) is set."""
    row = conn.execute("SELECT value FROM settings WHERE key = ?", (SETTING,)).fetchone()
    if not row or not row[0]:
        return None
    try:
        return ZoneInfo(str(row[0]).strip())
    except (ValueError, ZoneInfoNotFoundError):
        return None


def computer_zone() -> tzinfo:
    """This computer's own zone (what the shop owner's clock shows), by its IANA name where the system has one.

    tzlocal reads TZ, /etc/localtime and the Windows registry; a fixed offset (what `astimezone()` gives) would
    put the shop's day an hour off after the next daylight-saving change, so it is only the last resort."""
    try:
        return tzlocal.get_localzone()
    except (ValueError, LookupError, OSError, ZoneInfoNotFoundError):
        return datetime.now(timezone.utc).astimezone().tzinfo or timezone.utc


def shop_zone(conn: sqlite3.Connection) -> tzinfo:
    """The zone the shop's day runs in: the configured one, else the computer's own."""
    return configured_zone(conn) or computer_zone()


def shop_zone_name(conn: sqlite3.Connection) -> str:
    """The shop's zone as an IANA name where one is known ("America/Los_Angeles"), for settings that store a name."""
    zone = configured_zone(conn)
    if zone is not None:
        return zone.key
    local = computer_zone()
    return getattr(local, "key", None) or "UTC"


def shop_day(conn: sqlite3.Connection, moment: datetime | None = None) -> date:
    """The shop's calendar day at `moment` (default: now)."""
    return day_in(shop_zone(conn), moment)


def day_in(zone: tzinfo, moment: datetime | None = None) -> date:
    """The calendar day at `moment` in `zone`, a shop zone read once for many moments (a bulk write's orders)."""
    moment = moment or utcnow()
    if moment.tzinfo is None:
        raise ValueError("the shop's day needs an aware datetime")
    return moment.astimezone(zone).date()


def day_start(conn: sqlite3.Connection, day: date) -> datetime:
    """The moment (UTC) the shop's calendar `day` begins: local midnight, whatever the daylight-saving state."""
    return datetime.combine(day, time(0), shop_zone(conn)).astimezone(UTC)


def shop_today(conn: sqlite3.Connection, moment: datetime | None = None) -> str:
    """The shop's day as an ISO date ('2026-12-06'), the form plan dates are stored in."""
    return shop_day(conn, moment).isoformat()
