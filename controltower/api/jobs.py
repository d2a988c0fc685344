"""The core's two jobs for other tools: the local API (a ServiceJob, off unless the shop turns it on) and
"Webhooks out" (a PeriodicJob, run at once when the hub says something changed)."""
from __future__ import annotations

from ..services.jobs import PeriodicJob, ServiceJob

_CHANGES = ("orders.changed", "shipments.changed", "exceptions.changed", "sync.refreshed")


def api_enabled(db) -> bool:
    return (db.get_setting("api.enabled") or "0") in ("1", "true", "yes")


def add_api_jobs(core) -> None:
    if api_enabled(core.db):
        holder: dict = {}

        def start() -> None:
            from .server import LocalApiServer  # the web framework loads only when the API is on (~0.3 s)

            holder["server"] = server = LocalApiServer(core)
            server.start()
            job.report(result=f"serving on {server.base_url}/v1 (docs at /v1/docs)")

        async def stop() -> None:
            server = holder.pop("server", None)
            if server is not None:
                await server.stop_async()

        job = ServiceJob("local-api", "Local API", start, stop, clock=core.clock)
        core.jobs.add(job)
    else:
        core.jobs.add_off("local-api", "Local API", "off: turn it on in Settings (api.enabled)")
    hooks = PeriodicJob("webhooks", "Webhooks out", core.webhooks.run_once, core.options.cadence.webhooks,
                        first_after=core.options.cadence.webhooks, clock=core.clock)
    core.jobs.add(hooks)
    for topic in _CHANGES:
        core.hub.subscribe(topic, lambda _topic, _payload: _wake(hooks))


def _wake(job: PeriodicJob) -> None:
    job.run_soon()
