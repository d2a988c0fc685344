"""Carrier accounts as the settings dialog sees them (no Qt): non-secret settings in the store, keys in the keychain."""
from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field

from . import registry
from .base import AdapterConfig, CarrierError, ConnectionResult, CredentialField
from ..domain.models import CarrierKind
from ..store import audit, secrets

# Accounts the dialog always offers, in the order a shop owner meets them.
OFFERED = ("own_fleet", "pickup", "easypost", "shippo", "uber_direct", "doordash", *registry.KARRIO_CODES)
_TITLES = {"karrio:ups": "UPS (via karrio)", "karrio:usps": "USPS (via karrio)"}
_KINDS = {"karrio": CarrierKind.PARCEL}


@dataclass(frozen=True)
class Account:
    code: str
    title: str
    kind: CarrierKind
    fields: tuple[CredentialField, ...]
    enabled: bool = False
    settings: dict = field(default_factory=dict)
    saved: dict[str, str] = field(default_factory=dict)  # field name -> masked value, for fields with a saved value
    keychain_problem: str = ""  # set when the system keychain could not be read

    @property
    def exists(self) -> bool:
        return bool(self.saved) or bool(self.settings) or self.enabled


def offered_codes(db) -> list[str]:
    """The offered carriers plus any other account already in the store (e.g. sandbox couriers)."""
    stored = [row["code"] for row in db.query("SELECT code FROM carrier_accounts ORDER BY code")]
    return list(OFFERED) + [code for code in stored if code not in OFFERED]


def _describe(code: str) -> tuple[str, CarrierKind, tuple[CredentialField, ...]]:
    try:
        factory = registry.factory_for(code)
    except (KeyError, ImportError):
        return code, CarrierKind.COURIER, ()
    try:
        fields = registry.credential_fields(code)
    except (KeyError, ImportError):
        fields = ()
    title = _TITLES.get(code) or getattr(factory, "name", code)
    kind = getattr(factory, "kind", None) or _KINDS.get(code.split(":")[0], CarrierKind.COURIER)
    return title, kind, tuple(fields)


def title_of(code: str) -> str:
    return _describe(code)[0]


def load_account(db, code: str) -> Account:
    title, kind, fields = _describe(code)
    row = db.conn.execute("SELECT * FROM carrier_accounts WHERE code = ?", (code,)).fetchone()
    saved, problem = {}, ""
    try:
        for credential in fields:
            value = secrets.get_secret(code, credential.name)
            if value:
                saved[credential.name] = secrets.mask(value) if credential.secret else value
    except secrets.SecretStoreError as exc:
        problem = str(exc)
    if row is None:
        return Account(code, title, kind, fields, saved=saved, keychain_problem=problem)
    return Account(code, row["name"] or title, CarrierKind(row["kind"]), fields, bool(row["enabled"]),
                   json.loads(row["settings_json"] or "{}"), saved, problem)


def save_account(db, code: str, typed: dict[str, str], *, enabled: bool, settings: dict) -> Account:
    """Typed credentials go to the keychain (empty = keep the saved one); the rest to carrier_accounts."""
    account = load_account(db, code)
    for credential in account.fields:
        value = (typed.get(credential.name) or "").strip()
        if value:
            secrets.set_secret(code, credential.name, value)
    for key in settings:
        secrets.refuse_secret_like(key)  # a secret must never reach settings_json
    with db.transaction() as conn:
        before = conn.execute("SELECT enabled, settings_json FROM carrier_accounts WHERE code = ?", (code,)).fetchone()
        conn.execute(
            "INSERT INTO carrier_accounts(code, name, kind, enabled, settings_json) VALUES (?,?,?,?,?) "
            "ON CONFLICT(code) DO UPDATE SET name = excluded.name, kind = excluded.kind, enabled = excluded.enabled, "
            "settings_json = excluded.settings_json",
            (code, account.title, account.kind.value, int(enabled), json.dumps(settings, sort_keys=True)))
        audit.record(conn, "carrier_account.saved", "carrier_account", code,
                     before=None if before is None else {"enabled": bool(before["enabled"]),
                                                         "settings": json.loads(before["settings_json"] or "{}")},
                     after={"enabled": enabled, "settings": settings,
                            "keys_changed": sorted(k for k, v in typed.items() if v.strip())})
    return load_account(db, code)


def adapter_config(db, code: str, typed: dict[str, str] | None = None, settings: dict | None = None) -> AdapterConfig:
    """What the adapter needs, with typed-but-unsaved values taking precedence (so 'Test' works before 'Save')."""
    account = load_account(db, code)
    typed = typed or {}
    credentials = {}
    for credential in account.fields:
        value = (typed.get(credential.name) or "").strip()
        if not value:
            try:
                value = secrets.get_secret(code, credential.name) or ""
            except secrets.SecretStoreError:
                value = ""  # the adapter then says which key is missing
        credentials[credential.name] = value
    chosen = dict(account.settings if settings is None else settings)
    return AdapterConfig(code, credentials, chosen, base_url=chosen.get("base_url", ""),
                         timeout_s=float(chosen.get("timeout_s", 15)), name=account.title)


def check_connection(config: AdapterConfig) -> ConnectionResult:
    """Blocking: call it from a worker thread. Runs the adapter on a private event loop of its own."""

    async def attempt() -> ConnectionResult:
        adapter = registry.create(config)
        async with adapter:
            return await adapter.test_connection()

    try:
        return asyncio.run(attempt())
    except CarrierError as exc:
        return ConnectionResult(False, str(exc))
    except (KeyError, ValueError) as exc:
        return ConnectionResult(False, f"Could not set up {config.code}: {exc}")


def enabled_adapters(db, *, skip_kinds: tuple[str, ...] = ("own_fleet", "pickup")) -> dict[str, "CarrierAdapter"]:
    """{code: adapter} for every enabled carrier account the registry knows, keys from the keychain.

    Own vans and pickup are skipped by default (priced and tracked in the store, no network).
    Also the sync engine process's adapters factory: `controltower.carriers.accounts:enabled_adapters`.
    """
    adapters = {}
    for row in db.conn.execute("SELECT code, kind FROM carrier_accounts WHERE enabled = 1 ORDER BY code").fetchall():
        if row[1] in skip_kinds:
            continue
        try:
            adapters[row[0]] = registry.create(adapter_config(db, row[0]))
        except KeyError:  # an account whose carrier this build does not have (e.g. karrio not installed)
            continue
    return adapters
