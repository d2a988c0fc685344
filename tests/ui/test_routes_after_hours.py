"""The Routes area after closing: re-optimising today says why for each stop and offers nothing empty to save."""
from __future__ import annotations

import time_machine

from controltower.routing.service import RoutingService
from controltower.ui.routes import RoutesView
from tests.routing.test_after_hours import AFTER_CLOSING, TODAY, TOMORROW, write_two_days


def test_re_optimising_today_after_closing_shows_each_reason_and_no_save(qtbot, store):
    write_two_days(store)
    with time_machine.travel(AFTER_CLOSING, tick=True):
        service = RoutingService(store, solve_seconds=1)
        view = RoutesView(service, autoload=False)
        qtbot.addWidget(view)
        view.show()
        view.set_day(service.load_day(TODAY))
        assert "The vans' day on Mon 07 Dec is over" in view.status.text()
        view.reoptimise(seconds=1)
        qtbot.waitUntil(lambda: view.session is None and "Re-optimising" not in view.status.text(), timeout=20_000)
        assert view.status.text().startswith(f"Nothing could be planned on {TODAY}: why is listed under each stop.")
        assert "every promise kept" not in view.totals.text() and "4 not planned" in view.totals.text()
        assert not view.save_button.isEnabled() and not view.dispatch_button.isEnabled()
        qtbot.waitUntil(lambda: all(view.unplanned.topLevelItem(i).text(2) != "Checking why…"
                                    for i in range(view.unplanned.topLevelItemCount())), timeout=10_000)
        reasons = [view.unplanned.topLevelItem(i).text(2) for i in range(view.unplanned.topLevelItemCount())]
        assert "The vans' day is over (the last shift ended at 18:00, it is 20:30 now): plan it on tomorrow's routes." in reasons
        assert sum("Its promised time ended at" in reason for reason in reasons) == 3
        view.shutdown()


def test_after_closing_the_area_opens_on_tomorrow_with_its_stops(qtbot, store):
    write_two_days(store)
    with time_machine.travel(AFTER_CLOSING, tick=True):
        view = RoutesView(RoutingService(store, solve_seconds=1))
        qtbot.addWidget(view)
        view.show()
        qtbot.waitUntil(lambda: view.day is not None, timeout=10_000)
        assert view.day.plan_date == TOMORROW and "4 not planned" in view.totals.text()
        assert not view.save_button.isEnabled()  # nothing planned yet
        view.reoptimise(seconds=1)
        qtbot.waitUntil(lambda: view.session is None and "Re-optimised" in view.status.text(), timeout=20_000)
        assert "4 stops planned, 0 not planned" in view.totals.text() and "every promise kept" in view.totals.text()
        assert view.save_button.isEnabled()
        view.shutdown()
