"""The core's two jobs for other tools: the local API (a ServiceJob, off unless the shop turns it on, serving from a
process of its own) and "Webhooks out" (a PeriodicJob, run at once when the hub says something changed)."""
from __future__ import annotations

import asyncio

from ..services.jobs import PeriodicJob, ServiceJob

_CHANGES = ("orders.changed", "shipments.changed", "exceptions.changed", "sync.refreshed")


def api_enabled(db) -> bool:
    return (db.get_setting("api.enabled") or "0") in ("1", "true", "yes")


def add_api_jobs(core) -> None:
    add_local_api_job(core)
    hooks = PeriodicJob("webhooks", "Webhooks out", core.webhooks.run_once, core.options.cadence.webhooks,
                        first_after=core.options.cadence.webhooks, clock=core.clock)
    core.jobs.add(hooks)
    for topic in _CHANGES:
        core.hub.subscribe(topic, lambda _topic, _payload: _wake(hooks))


def add_local_api_job(core) -> None:
    """The local API's job as the settings say now (also when Settings > Local API changes them)."""
    if api_enabled(core.db):
        holder: dict = {}

        async def start() -> None:
            from .process import ApiProcess  # the web framework loads in the API's own process only

            holder["server"] = server = ApiProcess(core.db.path, core.hub)
            try:
                await asyncio.to_thread(server.start, home=asyncio.get_running_loop())
            except Exception as exc:  # shown in Background work; the app runs on without its API
                job.report(error=str(exc))
                return
            job.report(result=f"serving on {server.base_url}/v1 (docs at /v1/docs), in its own process")

        async def stop() -> None:
            server = holder.pop("server", None)
            if server is not None:
                await server.stop_async()

        job = ServiceJob("local-api", "Local API", start, stop, clock=core.clock)
        core.jobs.add(job)
    else:
        core.jobs.add_off("local-api", "Local API", "off: turn it on in Settings > Local API")


def _wake(job: PeriodicJob) -> None:
    job.run_soon()
