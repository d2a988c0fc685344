"""The app's forecast job: started with the app, it refreshes the forecast and the van plan in a child process once
the shop's day has closed (and on demand), and leaves them alone before."""
from __future__ import annotations

import asyncio
import time
from datetime import datetime

import time_machine

from capacity_shop import TOMORROW, make_one_van_shop
from controltower.domain import UTC
from controltower.services.capacity import CapacityPlan, CapacityService
from controltower.services.core import Cadence, ControlTower, Options

MORNING = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
BEFORE_CLOSING = datetime(2026, 11, 24, 18, 40, tzinfo=UTC)  # the shop (in UTC) closes at 19:00
AFTER_CLOSING = datetime(2026, 11, 24, 19, 5, tzinfo=UTC)
QUIET = dict(notifications=3600, notifications_first_after=3600, exceptions=3600, returns=3600, backup=3600,
             backup_first_after=3600, store_check_first_after=3600, webhooks=3600)


async def until(condition, timeout: float) -> None:
    end = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > end:
            raise AssertionError("timed out")
        await asyncio.sleep(0.1)


def test_the_app_refreshes_the_forecast_and_van_plan_after_the_shop_closes(store):
    shop = make_one_van_shop(store)
    capacity = CapacityService(shop)
    capacity.save(CapacityPlan(MORNING, (), None, "USD", 1.0))  # this morning's plan: made before today closed
    options = Options(sync=False, cadence=Cadence(**QUIET, forecast_check=0.3, forecast_first_after=0.0))
    with time_machine.travel(BEFORE_CLOSING, tick=True) as traveller:
        core = ControlTower(shop, options=options)

        async def scenario() -> None:
            core.start()
            assert "forecast" in core.jobs.names()  # the app runs it: no one has to start it
            await until(lambda: core.jobs.status("forecast").runs >= 2, 20)
            status = core.jobs.status("forecast")
            assert status.last_result.startswith("up to date") and status.last_error == ""
            assert capacity.latest().made_at == MORNING  # not refreshed before closing
            traveller.move_to(AFTER_CLOSING)
            await until(lambda: "vans planned for" in core.jobs.status("forecast").last_result, 240)
            await core.stop()

        asyncio.run(scenario())
    plan = capacity.latest()
    assert plan.made_at >= AFTER_CLOSING and plan.days[0].day == TOMORROW  # the coming days, planned
    assert core.forecast.latest().made_at >= AFTER_CLOSING  # the forecast was made again too


def test_refresh_now_runs_the_job_at_once_before_the_day_closes(store):
    shop = make_one_van_shop(store)
    capacity = CapacityService(shop)
    capacity.save(CapacityPlan(MORNING, (), None, "USD", 1.0))
    options = Options(sync=False, cadence=Cadence(**QUIET, forecast_check=3600, forecast_first_after=3600))
    with time_machine.travel(BEFORE_CLOSING, tick=True):
        core = ControlTower(shop, options=options)

        async def scenario() -> None:
            core.start()
            await asyncio.sleep(0.2)
            core.refresh_forecast_now()
            await until(lambda: "vans planned for" in core.jobs.status("forecast").last_result, 240)
            await core.stop()

        asyncio.run(scenario())
    assert capacity.latest().made_at >= BEFORE_CLOSING
