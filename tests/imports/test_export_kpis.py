"""KPI export: the numbers the KPI panel shows, per KPI, per carrier and driver, and costs, in CSV or XLSX."""
from __future__ import annotations

import csv
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "control"))

from control_facts import Facts  # noqa: E402

from controltower.control.kpis import KpiService, Period  # noqa: E402
from controltower.domain import ShipmentStatus as S  # noqa: E402
from controltower.domain.timeutil import UTC, to_iso, utcnow  # noqa: E402
from controltower.exports.kpis import export_kpis  # noqa: E402

EVIL_CARRIER = '=HYPERLINK("http://evil.example","click")'
EVIL_DRIVER = "@SUM(1+1)"
SHOP_ZONE = ZoneInfo("America/Los_Angeles")


def fill(store, end: datetime) -> None:
    """Two deliveries by a carrier with a hostile name (one on time, one late) and one by an own driver, in the
    week before `end`; one delivery the week before that."""
    f = Facts(store)
    day = end - timedelta(days=3)
    for late_hours, cost in ((-1, 900), (5, 1500)):
        order = f.order(created_at=day - timedelta(hours=20), promised_end=day)
        f.shipment(order, carrier=EVIL_CARRIER, status=S.DELIVERED, status_as_of=day + timedelta(hours=late_hours),
                   created_at=day - timedelta(hours=19), cost=cost, quoted=900)
    earlier = f.order(created_at=day - timedelta(days=8), promised_end=day - timedelta(days=7))
    f.shipment(earlier, carrier=EVIL_CARRIER, status=S.DELIVERED, status_as_of=day - timedelta(days=7, hours=1),
               created_at=day - timedelta(days=8), cost=1200, quoted=1200)
    van = f.order(created_at=day - timedelta(hours=5), promised_end=day)
    f.shipment(van, carrier="own_fleet", status=S.DELIVERED, status_as_of=day - timedelta(hours=1),
               created_at=day - timedelta(hours=5))
    f.set("INSERT INTO drivers(id, name) VALUES (1, ?)", (EVIL_DRIVER,))
    f.set("INSERT INTO vehicles(id, name, capacity_parcels, capacity_weight_g, shift_start, shift_end, driver_id) "
          "VALUES (1, 'Van 1', 50, 500000, '08:00', '16:00', 1)")
    f.set("INSERT INTO routes(id, plan_date, vehicle_id, distance_m, duration_s, created_at) VALUES (1, ?, 1, 20000, 7200, ?)",
          (day.date().isoformat(), to_iso(day)))
    f.set("INSERT INTO stops(order_id, route_id, sequence, status) VALUES (?, 1, 1, 'delivered')", (van,))


END = datetime(2026, 11, 27, tzinfo=UTC)
PERIOD = Period.custom(END - timedelta(days=7), END)


@pytest.fixture
def shop(store):
    fill(store, END)
    return store


def read_csv(path: Path) -> list[dict]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def test_each_kpi_row_holds_the_services_numbers_in_spreadsheet_units(shop, tmp_path):
    service = KpiService(shop)
    result = export_kpis(service, PERIOD, tmp_path / "kpis.csv", SHOP_ZONE)
    # One file per table: KPIs at the chosen name, the others beside it.
    assert [p.name for p in result.files] == ["kpis.csv", "kpis-scorecard.csv", "kpis-costs.csv", "kpis-ratings.csv",
                                              "kpis-low-scores.csv"]
    rows = {row["KPI"]: row for row in read_csv(tmp_path / "kpis.csv")}
    expected = service.panels(PERIOD)
    assert list(rows) == [kpi.label for kpi in expected] and result.kpis == len(expected) == 14

    on_time = rows["On time"]  # 2 of 3 delivered within the promise; the week before, 1 of 1
    assert (float(on_time["Current value"]), float(on_time["Previous period"]), float(on_time["Change"])) == (66.67, 100.0, -33.33)
    assert on_time["Unit"] == "%" and on_time["Better when"] == "higher" and "promised window" in on_time["Definition"]
    cost = rows["Cost per delivery"]  # ($9 + $15) / 2 now, $12 before
    assert (float(cost["Current value"]), float(cost["Previous period"]), cost["Unit"]) == (12.0, 12.0, "USD")
    assert rows["Open exceptions"]["Current value"] == "0" and rows["Open exceptions"]["Unit"] == "count"
    for kpi in expected:  # every number is the service's, scaled to the unit the row names
        scale = {"percent": 100, "money": 0.01}.get(kpi.unit, 1)
        for column, value in (("Current value", kpi.value), ("Previous period", kpi.previous), ("Change", kpi.change)):
            text = rows[kpi.label][column]
            assert (text == "") if value is None else float(text) == pytest.approx(value * scale, abs=0.01), (kpi.key, column)
    # The period in the shop's wall time (Los Angeles is UTC-8 in November), named in the header.
    assert on_time["Period start (America/Los_Angeles)"] == "2026-11-19 16:00:00"
    assert on_time["Period end (America/Los_Angeles)"] == "2026-11-26 16:00:00"


def test_scorecard_and_costs_per_carrier_and_driver_with_hostile_names_neutralised(shop, tmp_path):
    export_kpis(KpiService(shop), PERIOD, tmp_path / "kpis.csv", SHOP_ZONE)
    scorecard = {row["Kind"]: row for row in read_csv(tmp_path / "kpis-scorecard.csv")}
    carrier, driver = scorecard["carrier"], scorecard["driver"]
    assert carrier["Carrier or driver"] == "'" + EVIL_CARRIER and driver["Carrier or driver"] == "'" + EVIL_DRIVER
    assert (carrier["Volume"], carrier["Delivered"], carrier["On time (%)"], carrier["Cost per delivery"]) == ("2", "2", "50.0", "12.0")
    assert carrier["Quote accuracy (%)"] == "50.0" and carrier["Currency"] == "USD"
    assert (driver["Volume"], driver["On time (%)"], driver["Cost per delivery"]) == ("1", "100.0", "")
    costs = read_csv(tmp_path / "kpis-costs.csv")
    assert {"'" + EVIL_CARRIER, "Own van", "standard"} <= {row["Carrier or option"] for row in costs}


def test_xlsx_has_a_sheet_per_table_with_numbers_as_numbers_and_text_never_a_formula(shop, tmp_path):
    result = export_kpis(KpiService(shop), PERIOD, tmp_path / "kpis.xlsx", SHOP_ZONE)
    assert result.files == (tmp_path / "kpis.xlsx",) and result.scorecard_rows == 2
    book = openpyxl.load_workbook(tmp_path / "kpis.xlsx")
    assert book.sheetnames == ["KPIs", "Scorecard", "Costs", "Ratings", "Low scores"]
    kpis = book["KPIs"]
    header = [c.value for c in kpis[1]]
    by_label = {row[0].value: row for row in kpis.iter_rows(min_row=2)}
    value = by_label["On time"][header.index("Current value")]
    assert value.data_type == "n" and value.value == 66.67
    start = by_label["On time"][header.index("Period start (America/Los_Angeles)")]
    assert start.is_date and start.value == datetime(2026, 11, 19, 16)
    scorecard = book["Scorecard"]
    names = [row[1] for row in scorecard.iter_rows(min_row=2)]
    assert sorted(c.value for c in names) == sorted([EVIL_CARRIER, EVIL_DRIVER])  # as typed, no apostrophe
    assert all(c.data_type == "s" for c in names)  # text, never evaluated
    volumes = [row[2] for row in scorecard.iter_rows(min_row=2)]
    assert all(c.data_type == "n" for c in volumes) and sum(c.value for c in volumes) == 3


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "controltower.cli", "export", *args], capture_output=True, text=True,
                          timeout=120)


@pytest.mark.wall_clock  # the CLI child reads the real clock, so the facts are written at the real now too
def test_cli_exports_the_last_days_in_the_shop_zone_and_says_when_it_cannot_write(store, tmp_path):
    fill(store, utcnow())
    store.set_setting("shop.timezone", "Europe/Berlin")
    db = str(store.path)
    run = run_cli("kpis", "--db", db, "--out", str(tmp_path / "week.xlsx"))
    assert run.returncode == 0, run.stderr
    assert "14 KPIs and 2 scorecard rows written to" in run.stdout
    sheet = openpyxl.load_workbook(tmp_path / "week.xlsx")["KPIs"]
    header = [c.value for c in sheet[1]]
    start = sheet.cell(2, header.index("Period start (Europe/Berlin)") + 1).value
    today = utcnow().astimezone(ZoneInfo("Europe/Berlin")).date()
    assert start == datetime.combine(today - timedelta(days=6), datetime.min.time())  # 7 local days, today included

    month = run_cli("kpis", "--db", db, "--out", str(tmp_path / "month.csv"), "--days", "30")
    assert month.returncode == 0, month.stderr
    assert (tmp_path / "month-scorecard.csv").exists()

    nowhere = run_cli("kpis", "--db", db, "--out", str(tmp_path / "missing" / "kpis.xlsx"))
    assert nowhere.returncode == 2 and "Can't write" in nowhere.stderr and "Traceback" not in nowhere.stderr
    assert not (tmp_path / "missing").exists()
    wrong = run_cli("kpis", "--db", db, "--out", str(tmp_path / "kpis.pdf"))
    assert wrong.returncode == 2 and "Name the file .csv or .xlsx" in wrong.stderr
    assert run_cli("kpis", "--db", db, "--out", str(tmp_path / "k.csv"), "--days", "0").returncode == 2
    assert run_cli("orders", "--db", db, "--out", str(tmp_path / "o.csv"), "--days", "3").returncode == 2
