"""Quotes in a currency other than the shop's (issue 18, item 5): never sorted, chosen or budget-checked as plain
numbers; converted at a dated rate the shop set, or set aside with the reason the shop owner reads."""
from __future__ import annotations

from datetime import timedelta

import time_machine

from controltower.dispatch.options import DeliveryRequest, delivery_options
from controltower.dispatch.policy import choose
from controltower.dispatch.rates import CarrierAnswer, compare
from controltower.dispatch.settings import ShopSettings
from controltower.domain import UTC, CarrierKind, DeliveryOption, Money, Quote

from .conftest import local, make_order, shop_settings, window

NOW = local("2026-11-25T10:00")
EUR_RATE = {"EUR": {"rate": "1.10", "as_of": "2026-11-24"}}


def _answers() -> list[CarrierAnswer]:
    eta = (NOW + timedelta(hours=3)).astimezone(UTC)
    return [
        CarrierAnswer("paris", "Paris Express", CarrierKind.COURIER, (Quote("paris", "bike", Money(500, "EUR"), estimated_delivery=eta),)),
        CarrierAnswer("yankee", "Yankee Couriers", CarrierKind.COURIER, (Quote("yankee", "car", Money(800, "USD"), estimated_delivery=eta),)),
    ]


def _order():
    return make_order("R1", window=window("2026-11-25T12:00", "2026-11-25T18:00"))


@time_machine.travel(NOW, tick=False)
def test_a_quote_in_euros_is_set_aside_with_the_reason_in_a_dollar_shop():
    rows = compare(_order(), _answers(), shop_settings(budget_minor=700), NOW)
    by_carrier = {row.carrier: row for row in rows}
    euro = by_carrier["paris"]
    assert not euro.usable and euro.price is None
    assert euro.error == "quoted in EUR; this shop works in USD"
    assert euro.detail == "€5.00"  # what the carrier asked, kept for the reader
    assert rows[0].carrier == "yankee"  # 800 cents beats no comparable price, though 500 < 800 as numbers
    decision = choose(rows)
    assert decision.row.carrier == "yankee"


@time_machine.travel(NOW, tick=False)
def test_a_dated_rate_converts_before_comparing_and_budget_checks():
    settings = shop_settings(budget_minor=540, exchange_rates=EUR_RATE)
    rows = compare(_order(), _answers(), settings, NOW)
    euro = next(row for row in rows if row.carrier == "paris")
    assert euro.usable and euro.price == Money(550, "USD")
    assert euro.detail == "€5.00 at 1.10 USD/EUR (2026-11-24)"
    assert "over budget" in euro.flags  # $5.50 against a $5.40 budget: 500 as a plain number would pass
    assert choose(rows).row.carrier == "paris"  # $5.50 is still cheaper than $8.00 (both over budget)


def test_yen_converts_by_its_own_minor_unit():
    settings = ShopSettings(currency="USD", exchange_rates={"JPY": {"rate": "0.0067", "as_of": "2026-11-24"}})
    assert settings.in_shop_currency(Money(1000, "JPY")) == (Money(670, "USD"), "¥1,000 at 0.0067 USD/JPY (2026-11-24)")
    assert settings.in_shop_currency(Money(1000, "GBP"))[0] is None
    broken = ShopSettings(currency="USD", exchange_rates={"GBP": {"rate": "n/a"}})
    assert broken.in_shop_currency(Money(1000, "GBP")) == (None, "quoted in GBP; this shop works in USD")


def test_the_rate_table_is_kept_with_the_shops_settings():
    settings = ShopSettings(exchange_rates=EUR_RATE)
    assert ShopSettings.from_json(settings.to_json()).exchange_rates == EUR_RATE


@time_machine.travel(NOW, tick=False)
def test_same_day_by_courier_never_picks_a_euro_quote_by_its_number():
    far = (40.95, -73.70)  # outside the vans' zones: a courier has to take it
    request = DeliveryRequest(NOW, "10583", *far)
    eta_euro, eta_dollar = (NOW + timedelta(hours=2)).astimezone(UTC), (NOW + timedelta(hours=4)).astimezone(UTC)
    quotes = [Quote("paris", "bike", Money(500, "EUR"), estimated_delivery=eta_euro),
              Quote("yankee", "car", Money(800, "USD"), estimated_delivery=eta_dollar)]
    same_day = next(o for o in delivery_options(shop_settings(), request, None, quotes) if o.option is DeliveryOption.SAME_DAY)
    assert same_day.available and same_day.way == "yankee", same_day
