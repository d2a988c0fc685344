"""Keeps credentials out of any text we store or log: known secret values and anything shaped like one.

Carriers echo what they were sent (a bad key quoted back in a 401, a proxy's 500 page with our
headers), and that text becomes an error message, an outbox row, an audit entry, a log line and, through
the store, every backup. Two nets, both applied wherever error text is made or kept:

- the *values*: every adapter registers its account's secrets when it is built (`remember_secret`),
  so a key is removed whatever the carrier wraps it in, including the Basic-auth base64 of it;
- the *shapes*: `Authorization: Bearer …`, `Basic …`, `ShippoToken …`, `api_key=…`, `"token": "…"`
  for keys we were never told about (another process's account, a token minted by OAuth).
"""
from __future__ import annotations

import base64
import re
import threading
from typing import Any

MASK = "***"
_SHORTEST_SECRET = 8  # shorter values ("test", "secret") would mask ordinary words

# The value after a credential's label, up to a quote, space or separator.
_SHAPED = re.compile(
    r"(?i)((?:authorization|proxy-authorization)[\"']?\s*[:=]\s*[\"']?(?:bearer|basic|shippotoken|token|jwt)?\s*"
    r"|\b(?:bearer|basic|shippotoken)\s+"
    r"|\b(?:api[_-]?key|apikey|access[_-]?token|refresh[_-]?token|id[_-]?token|token|secret|client[_-]?secret"
    r"|signing[_-]?secret|password|passwd)[\"']?\s*[:=]\s*[\"']?)"
    r"([^\s\"',;&<>]+)"
)

_lock = threading.Lock()
_known: set[str] = set()
_pattern: re.Pattern[str] | None = None


def _forms(secret: str) -> set[str]:
    """The secret as it may come back: itself and the base64 of `secret:` (Basic auth with no password) and of itself."""
    forms = {secret}
    for raw in (f"{secret}:", secret):
        encoded = base64.b64encode(raw.encode()).decode()
        forms |= {encoded, encoded.rstrip("=")}
    return {form for form in forms if len(form) >= _SHORTEST_SECRET}


def remember_secret(value: str | None) -> None:
    """Mask `value` (and its Basic-auth encodings) in every text redacted from now on in this process."""
    value = (value or "").strip()
    if len(value) < _SHORTEST_SECRET:
        return
    global _pattern
    with _lock:
        new = _forms(value) - _known
        if new:
            _known.update(new)
            # Longest first, so a key inside its own longer encoding is not half-masked.
            _pattern = re.compile("|".join(re.escape(form) for form in sorted(_known, key=len, reverse=True)))


def redact(text: str) -> str:
    """`text` with every known secret value and every credential-shaped value replaced by ***."""
    if not text:
        return text
    text = _SHAPED.sub(lambda m: m.group(1) + MASK, text)
    pattern = _pattern
    return text if pattern is None else pattern.sub(MASK, text)


def redact_value(value: Any) -> Any:
    """A JSON-like value (dicts, lists, strings) with every string redacted; keys stay as they are."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {key: redact_value(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact_value(item) for item in value]
    return value
