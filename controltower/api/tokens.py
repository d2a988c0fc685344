"""API tokens: their names in the settings, their values only in the keychain; matched in constant time."""
from __future__ import annotations

import hmac
import json
import re
import secrets as random_secrets
import threading

from ..kernel.errors import InputError
from ..store import Database
from ..store import secrets

NAMES_SETTING = "api.clients"  # the tokens' names (a JSON list); never their values
SERIAL_SETTING = "api.clients.serial"  # changes with every create and revoke: the API's process reloads then
_KEYCHAIN_ACCOUNT = "local-api"
_NAME = re.compile(r"^[\w .-]{1,40}$")


class ApiTokens:
    """Create, list and revoke the local API's tokens (Settings calls these; so do tests and scripts)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._lock = threading.Lock()
        self._cache: dict[str, str] | None = None  # name -> token, read from the keychain once per change
        self._cached_serial: str | None = None

    def names(self) -> list[str]:
        return json.loads(self.db.get_setting(NAMES_SETTING) or "[]")

    def create(self, name: str) -> str:
        """A new token for `name` (e.g. "Zapier"), shown to the user once; the keychain keeps it."""
        name = name.strip()
        if not _NAME.match(name):
            raise InputError("A token's name is 1-40 letters, digits, spaces, dots or dashes.", "Pick a short name.")
        if name in self.names():
            raise InputError(f"There is already a token named {name!r}.", "Revoke it first or pick another name.")
        token = "ct_" + random_secrets.token_urlsafe(32)
        secrets.set_secret(_KEYCHAIN_ACCOUNT, name, token)
        self.db.set_setting(NAMES_SETTING, json.dumps(self.names() + [name]))
        self._changed()
        return token

    def revoke(self, name: str) -> None:
        secrets.delete_secret(_KEYCHAIN_ACCOUNT, name)
        self.db.set_setting(NAMES_SETTING, json.dumps([n for n in self.names() if n != name]))
        self._changed()

    def who(self, presented: str) -> str | None:
        """The name of the token presented, or None. Every stored token is compared, each in constant time."""
        found = None
        for name, token in self._tokens().items():
            if hmac.compare_digest(presented.encode(), token.encode()):
                found = name
        return found

    def _tokens(self) -> dict[str, str]:
        serial = self.db.get_setting(SERIAL_SETTING) or ""
        with self._lock:
            if self._cache is None or serial != self._cached_serial:  # created or revoked, maybe by another process
                self._cached_serial = serial
                self._cache = {}
                for name in self.names():
                    token = secrets.get_secret(_KEYCHAIN_ACCOUNT, name)
                    if token:
                        self._cache[name] = token
            return dict(self._cache)

    def _changed(self) -> None:
        """Every process serving the API reads the tokens again before its next request."""
        self.db.set_setting(SERIAL_SETTING, random_secrets.token_hex(8))
        with self._lock:
            self._cache = None
