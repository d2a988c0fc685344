"""The one HTTP helper all carrier clients share: bounded calls (read timeout, overall deadline, answer size), failures mapped to typed errors."""
from __future__ import annotations

import asyncio
import html
import json
import logging
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any, Callable, Mapping

import httpx

from ..kernel.redact import redact, redact_value
from .base import (
    DEFAULT_TIMEOUT_S,
    AuthFailed,
    BadAddress,
    BookingNotFound,
    CarrierDown,
    CarrierError,
    MalformedResponse,
    RateLimited,
    RequestRejected,
    ServiceUnavailable,
    UnknownOutcome,
)

log = logging.getLogger(__name__)

# Failures after a write was sent where the carrier may have acted first (gateway errors, and 408,
# which Uber Direct documents as its own processing timeout rather than a request that never arrived).
_WRITE_UNCERTAIN_STATUSES = {408, 500, 502, 504}
_WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}

# No carrier answer we use comes near these; past them the answer is stopped, not read whole into memory.
MAX_RESPONSE_BYTES = 10 * 1024 * 1024
MAX_DOCUMENT_BYTES = 50 * 1024 * 1024  # labels and other documents (expect_json=False)
# The read timeout bounds each pause; a server trickling a byte per pause would still hold a call for ever.
DEADLINE_PER_TIMEOUT = 3
_DROPPED_HEADERS = {"content-encoding", "content-length", "transfer-encoding"}  # the body we keep is decoded


class AnswerTooLarge(Exception):
    """Raised inside `CarrierHttp` when an answer passes its size limit; turned into a CarrierError there."""


@dataclass(frozen=True)
class ErrorInfo:
    """What a carrier's error body says, pulled out by that carrier's parse module."""

    message: str = ""
    code: str = ""
    fields: tuple[str, ...] = ()  # the request fields the carrier says are wrong, when it names them
    detail: str = ""  # the carrier's own words about those fields


ErrorParser = Callable[[Any], ErrorInfo]
# A carrier's own table: (http status, error code) -> an error class, checked before the generic mapping.
ErrorClassifier = Callable[[int, ErrorInfo], type[CarrierError] | None]


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - (now or datetime.now(timezone.utc))).total_seconds())


def generic_error_info(body: Any) -> ErrorInfo:
    """Best effort for bodies shaped {message, code}, {error: {...}}, {detail: ...}."""
    if isinstance(body, dict):
        inner = body.get("error") if isinstance(body.get("error"), dict) else body
        message = inner.get("message") or inner.get("detail") or body.get("detail") or ""
        code = inner.get("code") or ""
        if isinstance(message, (list, dict)):
            message = json.dumps(message)
        return ErrorInfo(str(message), str(code))
    if isinstance(body, str):
        return ErrorInfo(body[:500])
    return ErrorInfo()


class CarrierHttp:
    """An httpx.AsyncClient bound to one carrier: base URL, auth headers, timeout and error mapping."""

    def __init__(self, carrier: str, base_url: str, *, name: str = "", timeout_s: float = DEFAULT_TIMEOUT_S,
                 headers: Mapping[str, str] | None = None, auth_headers: Callable[[], Mapping[str, str]] | None = None,
                 error_parser: ErrorParser = generic_error_info, classify: ErrorClassifier | None = None,
                 transport: httpx.AsyncBaseTransport | None = None, deadline_s: float | None = None,
                 max_response_bytes: int = MAX_RESPONSE_BYTES) -> None:
        self.carrier = carrier  # the account code the errors carry
        self.deadline_s = deadline_s if deadline_s is not None else DEADLINE_PER_TIMEOUT * timeout_s
        self.max_response_bytes = max_response_bytes
        self.name = name or carrier  # how messages name the carrier to the user
        self.error_parser = error_parser
        self.classify = classify
        # Called on every request: keys are read when used, so an account without a key can still be
        # listed and built, and fails with AuthFailed only when it is asked to do something.
        self.auth_headers = auth_headers
        self.client = httpx.AsyncClient(base_url=base_url.rstrip("/"), timeout=httpx.Timeout(timeout_s),
                                        headers=dict(headers or {}), transport=transport, follow_redirects=False)

    async def aclose(self) -> None:
        await self.client.aclose()

    async def request(self, method: str, path: str, *, json_body: Any = None, data: Mapping[str, str] | None = None,
                      params: Mapping[str, Any] | None = None, headers: Mapping[str, str] | None = None,
                      write: bool | None = None, expect_json: bool = True, max_bytes: int | None = None) -> Any:
        """The parsed JSON body of a 2xx answer, or a CarrierError subclass.

        `write` (default: any non-GET) marks calls that change something at the carrier: a lost
        answer to one of those is an UnknownOutcome, never a plain CarrierDown. The whole call,
        answer included, ends by `deadline_s`; an answer past `max_bytes` (default: 10 MB, documents
        50 MB) is stopped, never read whole.
        """
        method = method.upper()
        is_write = method in _WRITE_METHODS if write is None else write
        if self.auth_headers is not None:
            headers = {**self.auth_headers(), **(headers or {})}
        limit = max_bytes or (self.max_response_bytes if expect_json else max(self.max_response_bytes, MAX_DOCUMENT_BYTES))
        try:
            async with asyncio.timeout(self.deadline_s):
                response = await self._bounded(method, path, limit, json=json_body, data=data, params=params,
                                               headers=headers)
        except TimeoutError as exc:  # the deadline; httpx's own timeouts are TransportErrors below
            said = f"{self.name} did not finish answering {method} {path} within {self.deadline_s:g} s"
            if is_write:
                raise UnknownOutcome(self.carrier, f"{said}; it may have taken effect") from exc
            raise CarrierDown(self.carrier, said) from exc
        except AnswerTooLarge as exc:
            said = f"{self.name} sent an answer to {method} {path} larger than {_size(limit)}; we stopped reading it"
            if is_write:  # it may have said yes: we cannot tell to what
                raise UnknownOutcome(self.carrier, f"{said}; it may have taken effect") from exc
            raise MalformedResponse(self.carrier, said) from exc
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            # Never reached the carrier: safe to retry even for writes.
            raise CarrierDown(self.carrier, f"could not reach {self.name}: {_describe(exc)}") from exc
        except httpx.TransportError as exc:  # read/write timeouts, resets, protocol errors mid-answer
            if is_write:
                raise UnknownOutcome(self.carrier, f"no answer from {self.name} after sending {method} {path}: "
                                     f"{_describe(exc)}") from exc
            raise CarrierDown(self.carrier, f"{self.name} did not answer: {_describe(exc)}") from exc
        if response.is_success:
            if not expect_json:
                return response.content
            return self._json(response, is_write)
        error = self._error(response, method, path, is_write)
        error.body = redact_value(_body(response))  # carriers put useful ids in error bodies (Uber's duplicate_delivery)
        raise error

    async def _bounded(self, method: str, path: str, limit: int, **kwargs: Any) -> httpx.Response:
        """The answer read as a stream and kept in memory only up to `limit` bytes."""
        async with self.client.stream(method, path, **kwargs) as streamed:
            declared = streamed.headers.get("Content-Length", "")
            if streamed.is_success and declared.isdigit() and int(declared) > limit:
                raise AnswerTooLarge(int(declared))
            body = bytearray()
            async for chunk in streamed.aiter_bytes():
                body += chunk
                if len(body) > limit:
                    if streamed.is_success:
                        raise AnswerTooLarge(len(body))
                    del body[limit:]  # an error page: its start says what went wrong
                    break
        headers = [(name, value) for name, value in streamed.headers.multi_items() if name.lower() not in _DROPPED_HEADERS]
        return httpx.Response(streamed.status_code, headers=headers, content=bytes(body), request=streamed.request)

    def _json(self, response: httpx.Response, is_write: bool) -> Any:
        if not response.content:
            return None
        try:
            return response.json()
        except (ValueError, UnicodeDecodeError) as exc:
            message = f"{self.name} sent an unreadable answer (HTTP {response.status_code}, not JSON)"
            if is_write:  # it said yes, but we cannot tell to what
                raise UnknownOutcome(self.carrier, message, http_status=response.status_code) from exc
            raise MalformedResponse(self.carrier, message, http_status=response.status_code) from exc

    def _error(self, response: httpx.Response, method: str, path: str, is_write: bool) -> CarrierError:
        status = response.status_code
        body = _body(response)
        info = ErrorInfo(html_page_sentence(body, status)) if _is_html(response, body) else self.error_parser(body)
        said = f": {info.message}" if info.message else ""
        kwargs = dict(carrier_message=info.message, code=info.code, http_status=status)
        if is_write and status >= 500 and status != 501:
            # The carrier failed while holding our write: whatever its code says (Uber's couriers_busy,
            # internal_server_error), it may have acted first. Look it up before anything else.
            return UnknownOutcome(self.carrier, f"{self.name} failed while handling {method} {path} "
                                  f"(HTTP {status}){said}; it may have taken effect", **kwargs)
        cls = self.classify(status, info) if self.classify else None
        if cls is RateLimited or (cls is None and status == 429):
            return RateLimited(self.carrier, f"{self.name} asks us to slow down{said}",
                               retry_after=parse_retry_after(response.headers.get("Retry-After")), **kwargs)
        if cls is not None:
            return cls(self.carrier, f"{self.name} said{said or ' no'} (HTTP {status})", **kwargs)
        if status in (401, 403):
            return AuthFailed(self.carrier, f"{self.name} did not accept our key (HTTP {status}){said}", **kwargs)
        if status == 404:
            return BookingNotFound(self.carrier, f"{self.name} does not know {path}{said}", **kwargs)
        if is_write and status in _WRITE_UNCERTAIN_STATUSES:
            return UnknownOutcome(self.carrier, f"{self.name} failed while handling {method} {path} "
                                  f"(HTTP {status}){said}; it may have taken effect", **kwargs)
        if status == 503:
            return CarrierDown(self.carrier, f"{self.name} is unavailable right now (HTTP 503){said}", **kwargs)
        if status >= 500 or status == 408:
            return CarrierDown(self.carrier, f"{self.name} had an error (HTTP {status}){said}", **kwargs)
        if status == 422 and "address" in (info.code + info.message).lower():
            return BadAddress(self.carrier, f"{self.name} cannot use this address{said}", **kwargs)
        if status == 422:
            return ServiceUnavailable(self.carrier, f"{self.name} cannot do this shipment{said}", **kwargs)
        return RequestRejected(self.carrier, f"{self.name} refused the request (HTTP {status}){said}", **kwargs)


def _is_html(response: httpx.Response, body: Any) -> bool:
    kind = response.headers.get("Content-Type", "").lower()
    return isinstance(body, str) and ("html" in kind or body.lstrip()[:15].lower().startswith(("<!doctype", "<html")))


def html_page_sentence(page: str, status: int) -> str:
    """One sentence for a web page where an API answer was expected (a proxy's or the carrier's site's error page)."""
    found = re.search(r"<title[^>]*>(.*?)</title>", page, re.IGNORECASE | re.DOTALL)
    title = " ".join(html.unescape(found.group(1)).split())[:120] if found else ""
    return f"a web page instead of an API answer (HTTP {status}{': ' + title if title else ''})"


def _body(response: httpx.Response) -> Any:
    try:
        return response.json()
    except (ValueError, UnicodeDecodeError):
        return response.text


def _size(count: int) -> str:
    return f"{count / 1024 / 1024:g} MB" if count >= 1024 * 1024 else f"{count:,} bytes"


def _describe(exc: Exception) -> str:
    return redact(str(exc)) or type(exc).__name__


class reading_response:
    """Turns a parse failure (missing key, wrong type) into MalformedResponse, or UnknownOutcome after a write."""

    def __init__(self, carrier: str, *, write: bool = False) -> None:
        self.carrier = carrier
        self.write = write

    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type, exc, tb) -> bool:
        if exc_type is None or not issubclass(exc_type, (KeyError, TypeError, ValueError, AttributeError, IndexError)):
            return False
        message = f"{self.carrier} sent an answer we cannot read ({exc_type.__name__}: {exc})"
        if self.write:
            raise UnknownOutcome(self.carrier, message) from exc
        raise MalformedResponse(self.carrier, message) from exc
