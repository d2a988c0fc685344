"""The shop's zone and day come from store.shop_clock alone: the setting, else the computer's zone, never UTC by default."""
from __future__ import annotations

import ast
import subprocess
import sys
from datetime import date, datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import time_machine

from controltower.store import shop_clock
from controltower.store.shop_clock import day_start, shop_day, shop_today, shop_zone, shop_zone_name

PACKAGE = Path(shop_clock.__file__).resolve().parents[1]
PORTLAND_EVENING = datetime(2026, 11, 25, 3, 10, tzinfo=timezone.utc)  # 19:10 on 24 Nov in Portland
LOS_ANGELES = ZoneInfo("America/Los_Angeles")


def test_the_shops_day_at_1910_in_portland_is_still_the_24th(store):
    store.set_setting(shop_clock.SETTING, "America/Los_Angeles")
    with time_machine.travel(PORTLAND_EVENING, tick=False):
        assert shop_today(store.conn) == "2026-11-24"
    assert shop_day(store.conn, PORTLAND_EVENING) == date(2026, 11, 24)
    assert day_start(store.conn, date(2026, 11, 24)) == datetime(2026, 11, 24, 8, tzinfo=timezone.utc)
    assert day_start(store.conn, date(2026, 3, 8)) == datetime(2026, 3, 8, 8, tzinfo=timezone.utc)  # DST starts at 02:00
    assert day_start(store.conn, date(2026, 3, 9)) == datetime(2026, 3, 9, 7, tzinfo=timezone.utc)


def test_with_no_zone_set_the_computers_zone_is_the_shops(store, monkeypatch):
    monkeypatch.setattr(shop_clock, "computer_zone", lambda: LOS_ANGELES)
    assert shop_zone(store.conn) is LOS_ANGELES and shop_zone_name(store.conn) == "America/Los_Angeles"
    assert shop_day(store.conn, PORTLAND_EVENING) == date(2026, 11, 24)
    store.set_setting(shop_clock.SETTING, "Atlantis/Lost")  # a name this computer doesn't know: still the computer's
    assert shop_zone(store.conn) is LOS_ANGELES


def test_the_computers_zone_is_read_by_name_from_the_system(store):
    """TZ set for a fresh process: the shop's zone is named (not a fixed offset that DST would break) and its day is
    Portland's. Run in a subprocess because the zone is read from the process's environment."""
    code = ("import sys; from datetime import datetime, timezone; from controltower.store import Database; "
            "from controltower.store.shop_clock import shop_day, shop_zone_name; db = Database(sys.argv[1]); "
            "print(shop_zone_name(db.conn), shop_day(db.conn, datetime(2026, 11, 25, 3, 10, tzinfo=timezone.utc)), "
            "shop_day(db.conn, datetime(2026, 7, 1, 6, 30, tzinfo=timezone.utc)))")
    store.close()
    env = {"TZ": "America/Los_Angeles", "PATH": "/usr/bin:/bin", "HOME": str(Path(store.path).parent)}
    run = subprocess.run([sys.executable, "-c", code, str(store.path)], capture_output=True, text=True, env=env, timeout=60)
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == ["America/Los_Angeles", "2026-11-24", "2026-06-30"]  # 23:30 PDT on 30 June


# ----------------------------------------------------------- one definition of the shop's zone


UTC_DATE = "the UTC date taken as a day (use shop_clock.shop_day)"


def second_definitions(path: Path) -> list[str]:
    """Places in `path` that work out the shop's zone or day on their own instead of asking store.shop_clock."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    found = []
    for node in ast.walk(tree):
        where = f"{path.name}:{getattr(node, 'lineno', '?')}"
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and (
                node.value.strip() == shop_clock.SETTING or f"'{shop_clock.SETTING}'" in node.value):
            found.append(f"{where}: names the {shop_clock.SETTING} setting (read it through shop_clock, write shop_clock.SETTING)")
        elif isinstance(node, ast.Call) and _name(node.func) == "ZoneInfo" and node.args and \
                isinstance(node.args[0], ast.Constant) and str(node.args[0].value).upper() in ("UTC", "ETC/UTC"):
            found.append(f"{where}: a UTC zone as the shop's default (use shop_clock.shop_zone)")
        elif isinstance(node, ast.Attribute) and node.attr == "tzinfo" and isinstance(node.value, ast.Call) and \
                _name(node.value.func) == "astimezone" and not node.value.args:
            found.append(f"{where}: the computer's zone worked out again (shop_clock.computer_zone is the one)")
        elif isinstance(node, (ast.Import, ast.ImportFrom)) and "tzlocal" in {a.name for a in node.names} | {getattr(node, "module", "")}:
            found.append(f"{where}: tzlocal outside shop_clock")
        elif isinstance(node, ast.Call) and _name(node.func) == "date" and not node.args and \
                isinstance(node.func, ast.Attribute) and _utc_now(node.func.value):
            found.append(f"{where}: {UTC_DATE}")
    return sorted(found, key=lambda line: int(line.split(":")[1]))


def _name(func: ast.expr) -> str:
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""


def _utc_now(node: ast.expr) -> bool:
    """utcnow(), datetime.now(UTC) or datetime.now(timezone.utc)."""
    if not isinstance(node, ast.Call):
        return False
    if _name(node.func) == "utcnow":
        return True
    return _name(node.func) == "now" and bool(node.args) and ast.unparse(node.args[0]) in ("UTC", "timezone.utc")


# UTC days on purpose, each with its reason; nothing here may stand for "the shop's day".
UTC_ON_PURPOSE = {
    "kpi_cache.py": "the stored KPI day rows are keyed by UTC day, so their 'today' is the UTC one",
}


def test_no_module_but_shop_clock_defines_the_shops_zone_or_day():
    found = [line for path in sorted(PACKAGE.rglob("*.py")) if path.name != "shop_clock.py" or path.parent.name != "store"
             for line in second_definitions(path)
             if not (line.split(":")[0] in UTC_ON_PURPOSE and line.endswith(UTC_DATE))]
    assert found == [], "the shop's zone and day come from controltower.store.shop_clock only:\n" + "\n".join(found)


PLANTED = '''
from zoneinfo import ZoneInfo
from datetime import datetime, timezone

def shop_zone(conn):
    row = conn.execute("SELECT value FROM settings WHERE key = 'shop.timezone'").fetchone()
    return ZoneInfo(row[0]) if row else ZoneInfo("UTC")

def timezone_name(db):
    return db.get_setting("shop.timezone", "UTC")

def local():
    return datetime.now().astimezone().tzinfo

def today():
    return datetime.now(timezone.utc).date()
'''


def test_the_scan_finds_a_planted_second_definition(tmp_path):
    planted = tmp_path / "planted.py"
    planted.write_text(PLANTED, encoding="utf-8")
    found = second_definitions(planted)
    assert [line.split(":")[1] for line in found] == ["6", "7", "10", "13", "16"], found
