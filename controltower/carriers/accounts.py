"""Carrier accounts as the carriers describe them (no store, no Qt): titles, kinds, the keys to paste, a connection test.

Where accounts are kept is the store's business (`store/carrier_accounts.py`); `sync/accounts.py` joins the two.
"""
from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from . import registry
from .base import AdapterConfig, CarrierError, ConnectionResult, CredentialField
from ..domain.models import CarrierKind

# Accounts the dialog always offers, in the order a shop owner meets them.
OFFERED = ("own_fleet", "pickup", "easypost", "shippo", "uber_direct", "doordash", *registry.KARRIO_CODES)
_TITLES = {"karrio:ups": "UPS (via karrio)", "karrio:usps": "USPS (via karrio)"}
_KINDS = {"karrio": CarrierKind.PARCEL}


@dataclass(frozen=True)
class CarrierDescription:
    """What a carrier code is, before any account exists: its title, kind and the keys it needs."""

    code: str
    title: str
    kind: CarrierKind
    fields: tuple[CredentialField, ...] = ()
    known: bool = True  # False: this build has no adapter for the code (karrio not installed, sandbox not running)


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


def describe(code: str) -> CarrierDescription:
    """Every registered factory is read the same way (`name`, `kind`, `fields_for`); unknown codes still get a title."""
    try:
        factory = registry.factory_for(code)
    except (KeyError, ImportError):
        return CarrierDescription(code, _TITLES.get(code, code), _KINDS.get(code.split(":")[0], CarrierKind.COURIER),
                                  known=False)
    return CarrierDescription(code, _TITLES.get(code) or factory.name, CarrierKind(factory.kind),
                              tuple(factory.fields_for(code)))


def title_of(code: str) -> str:
    return describe(code).title


def adapter_config(code: str, title: str, fields: tuple[CredentialField, ...], keys: dict[str, str],
                   settings: dict) -> AdapterConfig:
    """What the adapter needs: one value per credential field (empty when none is saved: the adapter then says which)."""
    credentials = {credential.name: keys.get(credential.name, "") for credential in fields}
    return AdapterConfig(code, credentials, dict(settings), base_url=settings.get("base_url", ""),
                         timeout_s=float(settings.get("timeout_s", 15)), name=title)


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
