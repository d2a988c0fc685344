"""CSAT in the scorecards: per driver, van, carrier and delivery option, with how many were asked and replied; a
delivery nobody rated never counts as satisfied; why low scores were low."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import time_machine

from controltower.control.kpis import KpiService, Period
from controltower.domain import DeliveryOption

from ratings_facts import RatedDeliveries

MORNING = datetime(2026, 11, 25, 17, 0, tzinfo=timezone.utc)
WEEK = Period(MORNING - timedelta(days=3), MORNING + timedelta(days=1), "test week")


def by(rows, group):
    return {row.name: row for row in rows if row.group == group}


def test_csat_counts_replies_only_and_always_says_how_many_replied(store):
    with time_machine.travel(MORNING + timedelta(hours=5), tick=False):
        rated = RatedDeliveries(store, MORNING)
        zippy = [rated.asked(carrier="zippy") for _ in range(4)]
        rated.rate(zippy[0], 5)
        rated.rate(zippy[1], 1, reason="late")
        vans = [rated.asked(carrier="own_fleet", option=DeliveryOption.SAME_DAY, van=("Van 1", "Sam")) for _ in range(3)]
        rated.rate(vans[0], 4)
        rated.rate(vans[1], 2, reason="driver")
        rated.rate(vans[2], 5)
        rated.asked(carrier="zippy", sent=False)  # its question never went out: not asked
        rows = KpiService(store).csat(WEEK)
        reasons = KpiService(store).low_score_reasons(WEEK)

    carriers = by(rows, "carrier")
    assert (carriers["zippy"].asked, carriers["zippy"].replies, carriers["zippy"].satisfied) == (4, 2, 1)
    assert carriers["zippy"].csat == 0.5 and carriers["zippy"].response_rate == 0.5  # not 3 of 4 "satisfied"
    assert carriers["zippy"].average == 3.0 and carriers["zippy"].low == 1
    (driver,) = by(rows, "driver").values()
    (van,) = by(rows, "van").values()
    assert (driver.name, driver.asked, driver.replies, driver.satisfied, driver.low) == ("Sam", 3, 3, 2, 1)
    assert (van.name, van.csat) == ("Van 1", 2 / 3)
    options = by(rows, "option")
    assert (options["same_day"].replies, options["standard"].replies, options["standard"].asked) == (3, 2, 4)
    assert [(r.reason, r.count, r.share) for r in reasons] == [("driver", 1, 0.5), ("late", 1, 0.5)]


def test_with_no_reply_there_is_no_csat_at_all(store):
    with time_machine.travel(MORNING + timedelta(hours=5), tick=False):
        rated = RatedDeliveries(store, MORNING)
        rated.asked(carrier="zippy")
        (carrier, option) = KpiService(store).csat(WEEK)
    assert (carrier.asked, carrier.replies, carrier.csat, carrier.response_rate) == (1, 0, None, 0.0)


def test_the_period_is_when_the_question_was_sent(store):
    with time_machine.travel(MORNING + timedelta(hours=5), tick=False):
        rated = RatedDeliveries(store, MORNING - timedelta(days=10))
        rated.rate(rated.asked(), 5)
        assert KpiService(store).csat(WEEK) == []


def test_the_kpi_export_carries_the_ratings_and_why_low_scores_were_low(store, tmp_path):
    import csv

    from controltower.exports.kpis import export_kpis

    with time_machine.travel(MORNING + timedelta(hours=5), tick=False):
        rated = RatedDeliveries(store, MORNING)
        shipments = [rated.asked(carrier="zippy") for _ in range(3)]
        rated.rate(shipments[0], 5)
        rated.rate(shipments[1], 1, reason="wrong_place")
        export_kpis(KpiService(store), WEEK, tmp_path / "kpis.csv")
    with open(tmp_path / "kpis-ratings.csv", encoding="utf-8-sig", newline="") as handle:
        rows = {(row["By"], row["Driver, van, carrier or option"]): row for row in csv.DictReader(handle)}
    zippy = rows[("carrier", "zippy")]
    assert (zippy["Asked"], zippy["Replies"], zippy["Response rate (%)"], zippy["CSAT (%)"], zippy["Average score"],
            zippy["Low scores (1-2)"]) == ("3", "2", "66.67", "50.0", "3.0", "1")
    with open(tmp_path / "kpis-low-scores.csv", encoding="utf-8-sig", newline="") as handle:
        assert [tuple(row.values()) for row in csv.DictReader(handle)] == [("Wrong place", "1", "100.0")]
