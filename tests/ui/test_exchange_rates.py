"""The shop types its rates for other currencies in Settings (issue 18, item 5): a dated table kept with the shop's
settings, which the comparison then uses; a rate that is not one is said on the page and nothing is saved."""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import time_machine

from controltower.dispatch.rates import CarrierAnswer, compare
from controltower.dispatch.settings import load_settings
from controltower.domain import UTC, CarrierKind, Money, Quote
from controltower.ui.context import AppContext
from controltower.ui.main_window import MainWindow
from controltower.ui.setup import SettingsWindow
from tests.dispatch.conftest import make_order

MONDAY = datetime(2026, 11, 23, 9, 0, tzinfo=ZoneInfo("America/Los_Angeles"))


def _settings_shop_page(qtbot, store):
    window = MainWindow(AppContext(db=store, offline=True))
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: getattr(window.areas, "setup_wizard", None) is not None, timeout=5_000)
    window.areas.setup_wizard.reject()
    settings = SettingsWindow(window.context.core, window, page="shop")
    qtbot.addWidget(settings)
    shop = settings.pages["shop"]
    shop.name.setText("Rose City Plants")
    shop.lat.setValue(45.5122)
    shop.lon.setValue(-122.6413)
    shop.timezone.setCurrentText("America/Los_Angeles")
    shop.currency.setCurrentText("USD")
    shop.phone.setText("(503) 555-0199")
    return window, settings, shop


@time_machine.travel(MONDAY, tick=False)
def test_typed_rates_are_kept_dated_and_used_by_the_comparison(qtbot, store):
    window, settings, shop = _settings_shop_page(qtbot, store)
    shop.exchange_rates.setText("eur 1.10 2026-11-20; CAD 0.72")
    assert settings.save() is True
    rates = load_settings(store.reader()).exchange_rates
    assert rates == {"EUR": {"rate": "1.10", "as_of": "2026-11-20"}, "CAD": {"rate": "0.72", "as_of": "2026-11-23"}}
    assert window.context.core.setup.shop().exchange_rates == "CAD 0.72 2026-11-23; EUR 1.10 2026-11-20"

    eta = (MONDAY + timedelta(hours=3)).astimezone(UTC)
    answers = [CarrierAnswer("paris", "Paris Express", CarrierKind.COURIER, (Quote("paris", "bike", Money(500, "EUR"), estimated_delivery=eta),)),
               CarrierAnswer("oslo", "Oslo Bud", CarrierKind.COURIER, (Quote("oslo", "van", Money(500, "NOK"), estimated_delivery=eta),))]
    rows = {row.carrier: row for row in compare(make_order("R1"), answers, load_settings(store.reader()), MONDAY)}
    assert rows["paris"].price == Money(550, "USD") and "1.10 USD/EUR (2026-11-20)" in rows["paris"].detail
    assert rows["oslo"].price is None and rows["oslo"].error == "quoted in NOK; this shop works in USD"
    window.close()


@time_machine.travel(MONDAY, tick=False)
def test_a_rate_that_is_not_one_is_said_on_the_page_and_nothing_is_saved(qtbot, store):
    window, settings, shop = _settings_shop_page(qtbot, store)
    for typed in ("EUR one", "EUR -1", "USD 1.0", "EURO 1.1", "EUR 1.1 yesterday"):
        shop.exchange_rates.setText(typed)
        assert settings.save() is False, typed
        assert "is not a rate" in shop.message.text(), typed
    assert load_settings(store.reader()).exchange_rates == {}
    window.close()
