"""The status bar's Background work: what each job of the app is doing, its failures in red, and Run now."""
from __future__ import annotations

import asyncio
from datetime import datetime, timezone

import time_machine
from PySide6.QtCore import Qt

from controltower.kernel.events import EventHub
from controltower.services.jobs import JobRunner, PeriodicJob, ServiceJob
from controltower.ui.background_work import BackgroundWorkButton

NOON = datetime(2026, 11, 25, 20, 0, tzinfo=timezone.utc)


def runner_with_jobs(hub: EventHub) -> tuple[JobRunner, dict]:
    calls = {"backup": 0}

    def backup() -> str:
        calls["backup"] += 1
        return "backed up to controltower-20261125.db"

    def shop() -> str:
        raise RuntimeError("No Shopify access token saved for corner.")

    runner = JobRunner(hub)
    runner.add(PeriodicJob("backup", "Daily backup", backup, 3600))
    runner.add(PeriodicJob("shop:corner", "Shopify orders: corner", shop, 600))
    runner.add(ServiceJob("sync", "Carrier sync", lambda: None, lambda: asyncio.sleep(0)))
    runner.add_off("shop:old", "WooCommerce orders: old", "offline")
    return runner, calls


def test_the_button_names_the_failing_job_and_the_table_shows_each_jobs_state_and_error(qtbot):
    hub = EventHub()
    runner, _calls = runner_with_jobs(hub)
    button = BackgroundWorkButton(runner, hub)
    qtbot.addWidget(button)
    with time_machine.travel(NOON, tick=False):
        asyncio.run(runner["backup"].run_once())
        asyncio.run(runner["shop:corner"].run_once())
    runner["sync"].start()
    assert button.text() == "Background: 1 failing (Shopify orders: corner)"
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    table = button.dialog.table
    rows = {table.item(r, 0).text(): [table.item(r, c).text() for c in range(5)] for r in range(table.rowCount())}
    assert rows["Daily backup"][1:4] == ["waiting for its next run", NOON.astimezone().strftime("%H:%M:%S"),
                                          "backed up to controltower-20261125.db"]
    assert rows["Shopify orders: corner"][1] == "failed (will try again)"
    assert rows["Shopify orders: corner"][4] == "RuntimeError: No Shopify access token saved for corner."
    assert rows["Carrier sync"][1] == "running"
    assert rows["WooCommerce orders: old"][1:4] == ["off", "never", "offline"]


def test_the_table_follows_a_job_that_recovers_and_run_now_wakes_the_chosen_job(qtbot):
    hub = EventHub()
    runner, calls = runner_with_jobs(hub)
    button = BackgroundWorkButton(runner, hub)
    qtbot.addWidget(button)
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    dialog = button.dialog

    async def main() -> None:
        runner.start()
        await asyncio.sleep(0.1)  # every periodic job runs once at start
        assert calls["backup"] == 1
        dialog.table.selectRow(0)
        qtbot.mouseClick(dialog.run_button, Qt.MouseButton.LeftButton)
        await asyncio.sleep(0.1)
        assert button.text() == "Background: 1 failing (Shopify orders: corner)"
        assert dialog.table.item(0, 1).text() == "waiting for its next run"
        await runner.stop()

    asyncio.run(main())
    assert calls["backup"] == 2  # Run now ran it again, at once
    assert dialog.table.item(0, 1).text() == "stopped" and button.text() == "Background: 0 of 4 running"
