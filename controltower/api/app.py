"""The routes of the local API (`/v1`): each one calls the service the windows call, as "API token <name>"."""
from __future__ import annotations

import html
from datetime import date, datetime

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse

from ..control.cases import CaseFilter
from ..dispatch.usecases import DeliveryActions
from ..domain.timeutil import TimeWindow, to_iso
from ..kernel.errors import InputError, NotFound, UserFacingError
from ..store.orders import OrderQuery
from .reads import routes_on
from .shapes import CancelIn, OrderChange, OrderIn, RatingConsentIn, ResolveIn, SnoozeIn, plain

VERSION = "1.0.0"


def actor(request: Request) -> str:
    """Who acts, for the audit log: the token the guard let in."""
    return f"API token {request.scope['state']['api_token']}"


def build_app(core) -> FastAPI:
    """The FastAPI application over one ControlTower core (wrap it in `guard.Guard` before serving)."""
    app = FastAPI(title="Control Tower local API", version=VERSION, openapi_url="/v1/openapi.json",
                  docs_url=None, redoc_url=None,
                  description="Orders, shipments, routes, exceptions, quotes and KPIs of this shop's store. "
                              "Every request needs `Authorization: Bearer <token>` (tokens: Settings > Local API).")
    app.exception_handler(UserFacingError)(_user_error)
    app.exception_handler(ValueError)(_value_error)
    v1 = APIRouter(prefix="/v1")
    _order_routes(v1, core)
    _delivery_routes(v1, core)
    _exception_routes(v1, core)
    _figures_routes(v1, core)

    @v1.get("/docs", response_class=HTMLResponse, include_in_schema=False)
    def docs() -> str:
        return docs_page(app.openapi())

    app.include_router(v1)
    return app


def _order_routes(v1: APIRouter, core) -> None:
    @v1.get("/orders", tags=["orders"], summary="List orders (filters and paging)")
    def list_orders(status: list[str] = Query(default=[]), option: list[str] = Query(default=[]),
                    date_from: date | None = None, date_to: date | None = None, search: str = "",
                    offset: int = Query(0, ge=0), limit: int = Query(100, ge=1, le=1000)) -> dict:
        query = OrderQuery(statuses=tuple(status), options=tuple(option),
                           date_from=date_from and date_from.isoformat(), date_to=date_to and date_to.isoformat(),
                           search=search)
        rows = core.orders.page(query, offset, limit)
        return {"orders": [row._asdict() for row in rows], "offset": offset, "limit": limit,
                "next_offset": offset + len(rows) if len(rows) == limit else None}

    @v1.get("/orders/{order_id}", tags=["orders"], summary="One order with its shipments, tracking and history")
    def read_order(order_id: int) -> dict:
        detail = core.orders.detail(order_id)
        if detail is None:
            raise NotFound(f"There is no order {order_id}.")
        return plain({"order": detail.order, "shipments": detail.shipments, "history": detail.history})

    @v1.post("/orders", tags=["orders"], status_code=201, summary="Create an order")
    def create_order(body: OrderIn, who: str = Depends(actor)) -> dict:
        order_id = core.dispatch.create_order(body.to_order(), actor=who)
        if body.rating_consent:
            core.ratings.set_consent(order_id, True, source="api", actor=who)
        return plain({"id": order_id, "order": core.orders.get(order_id)})

    @v1.put("/orders/{order_id}/rating-consent", tags=["orders"],
            summary="Record whether the customer agreed to be asked for a rating after delivery")
    def rating_consent(order_id: int, body: RatingConsentIn, who: str = Depends(actor)) -> dict:
        channels = core.ratings.set_consent(order_id, body.consented, source="api", actor=who)
        return {"id": order_id, "consented": body.consented, "channels": channels}

    @v1.patch("/orders/{order_id}", tags=["orders"], summary="Change an order's promised window")
    def update_order(order_id: int, body: OrderChange, who: str = Depends(actor)) -> dict:
        window = TimeWindow(body.promised_window.start, body.promised_window.end)
        done = _actions(core, who).reschedule(order_id, window, notify=body.notify_customer)
        return {"id": order_id, "result": done.message}

    @v1.post("/orders/{order_id}/cancel", tags=["orders"], summary="Cancel an order that has no live booking")
    def cancel_order(order_id: int, body: CancelIn, who: str = Depends(actor)) -> dict:
        done = _actions(core, who).cancel_order(order_id, body.reason)
        return {"id": order_id, "result": done.message}

    @v1.post("/orders/{order_id}/quote", tags=["quotes"], summary="How would you send this? Every way, compared")
    async def quote(order_id: int) -> dict:
        comparison = await core.dispatch.compare(order_id)
        return {"order_id": order_id, "ways": comparison.to_json(),
                "recommended": comparison.decision.row.carrier if comparison.decision.row else None,
                "why": getattr(comparison.decision, "reason", "")}


def _delivery_routes(v1: APIRouter, core) -> None:
    @v1.get("/orders/{order_id}/shipments", tags=["shipments"], summary="An order's shipments and their tracking")
    def shipments(order_id: int) -> dict:
        detail = core.orders.detail(order_id)
        if detail is None:
            raise NotFound(f"There is no order {order_id}.")
        return {"shipments": plain(detail.shipments)}

    @v1.get("/routes", tags=["routes"], summary="The own vans' routes and stops of one day (default: today)")
    def routes(day: date | None = None) -> dict:
        plan_date = day.isoformat() if day else core.orders.shop_today()
        return {"date": plan_date, "routes": routes_on(core.db.reader(), plan_date)}


def _exception_routes(v1: APIRouter, core) -> None:
    @v1.get("/exceptions", tags=["exceptions"], summary="Open exception cases")
    def exceptions(kind: list[str] = Query(default=[]), include_snoozed: bool = False) -> dict:
        rows = core.control.open_cases(CaseFilter(kinds=tuple(kind), include_snoozed=include_snoozed))
        return {"exceptions": plain(list(rows))}

    @v1.post("/exceptions/{case_id}/resolve", tags=["exceptions"], summary="Resolve a case, saying why")
    def resolve(case_id: int, body: ResolveIn, who: str = Depends(actor)) -> dict:
        return {"result": _control(core, who).resolve([case_id], body.reason).message}

    @v1.post("/exceptions/{case_id}/snooze", tags=["exceptions"], summary="Snooze a case until a time")
    def snooze(case_id: int, body: SnoozeIn, who: str = Depends(actor)) -> dict:
        if body.until.tzinfo is None:
            raise InputError("`until` needs its UTC offset.")
        return {"result": _control(core, who).snooze([case_id], body.until).message}


def _figures_routes(v1: APIRouter, core) -> None:
    @v1.get("/kpis", tags=["kpis"], summary="The KPI panel's figures for the last `days` days")
    def kpis(days: int = Query(7, ge=1, le=366)) -> dict:
        period = core.kpis.last_days(days)
        return {"from": to_iso(period.start), "to": to_iso(period.end),
                "kpis": [{"key": k.key, "label": k.label, "value": k.value, "previous": k.previous, "unit": k.unit,
                          "definition": k.definition} for k in core.kpis.panels(period)]}


def _actions(core, who: str) -> DeliveryActions:
    return DeliveryActions(core.db, hub=core.hub, clock=core.clock, actor=who)


def _control(core, who: str):
    from ..control.actions import ControlService

    return ControlService(core.db, hub=core.hub, actor=who)


async def _user_error(_request, exc: UserFacingError) -> JSONResponse:
    status = 404 if isinstance(exc, NotFound) else 422
    return JSONResponse({"error": exc.message, "advice": exc.advice}, status_code=status)


async def _value_error(_request, exc: ValueError) -> JSONResponse:
    return JSONResponse({"error": str(exc)}, status_code=422)


def docs_page(spec: dict) -> str:
    """A self-contained page listing every route (no scripts, no CDN: the app works offline)."""
    rows = []
    for path, methods in spec.get("paths", {}).items():
        for method, op in methods.items():
            params = ", ".join(p["name"] for p in op.get("parameters", []))
            rows.append(f"<tr><td><code>{method.upper()}</code></td><td><code>{html.escape(path)}</code></td>"
                        f"<td>{html.escape(op.get('summary', ''))}</td><td>{html.escape(params)}</td></tr>")
    return (f"<!doctype html><meta charset=utf-8><title>{html.escape(spec['info']['title'])}</title>"
            f"<h1>{html.escape(spec['info']['title'])} {html.escape(spec['info']['version'])}</h1>"
            f"<p>{html.escape(spec['info'].get('description', ''))}</p>"
            "<p>The full description: <a href=\"/v1/openapi.json\">/v1/openapi.json</a> (OpenAPI 3.1).</p>"
            "<table border=1 cellpadding=4><tr><th>method</th><th>path</th><th>what</th><th>parameters</th></tr>"
            + "".join(rows) + "</table>")
