"""Carrier accounts as the app uses them: stored settings and keychain keys joined with what each carrier needs.

The settings dialog loads and saves accounts here; the quote path and the sync process get their adapters
from `enabled_adapters` (the sync child's factory: `controltower.sync.accounts:enabled_adapters`).
"""
from __future__ import annotations

from dataclasses import replace

from ..carriers import accounts as described
from ..carriers import registry
from ..carriers.accounts import Account, check_connection  # noqa: F401  (the settings dialog's one door)
from ..carriers.base import AdapterConfig, CarrierAdapter
from ..domain.models import CarrierKind
from ..store import carrier_accounts, secrets
from ..store.carrier_accounts import StoredAccount
from ..store.shop_clock import shop_zone_name
from ..store.secrets import SecretStoreError  # noqa: F401  (what save_account raises when the keychain is shut)

BUILT_IN_KINDS = (CarrierKind.OWN_FLEET.value, CarrierKind.PICKUP.value)  # priced in the store, no network


def offered_codes(db) -> list[str]:
    """The offered carriers plus any other account already in the store (e.g. sandbox couriers)."""
    stored = [account.code for account in carrier_accounts.all_accounts(db.reader())]
    return list(described.OFFERED) + [code for code in stored if code not in described.OFFERED]


def title_of(db, code: str) -> str:
    """The account's own name when it has one ("Zippy Express (sandbox)"), else the carrier's."""
    stored = carrier_accounts.get(db.reader(), code)
    return stored.name if stored is not None and stored.name else described.title_of(code)


def load_account(db, code: str) -> Account:
    carrier = described.describe(code)
    saved, problem = {}, ""
    try:
        keys = carrier_accounts.read_keys(code, [f.name for f in carrier.fields])
        saved = {f.name: secrets.mask(keys[f.name]) if f.secret else keys[f.name] for f in carrier.fields if f.name in keys}
    except secrets.SecretStoreError as exc:
        problem = str(exc)
    stored = carrier_accounts.get(db.reader(), code)
    if stored is None:
        return Account(code, carrier.title, carrier.kind, carrier.fields, saved=saved, keychain_problem=problem)
    return Account(code, stored.name or carrier.title, CarrierKind(stored.kind), carrier.fields, stored.enabled,
                   stored.settings, saved, problem)


def save_account(db, code: str, typed: dict[str, str], *, enabled: bool, settings: dict) -> Account:
    """Typed credentials go to the keychain (empty = keep the saved one); the rest to the store."""
    account = load_account(db, code)
    changed = carrier_accounts.save_keys(code, {f.name: typed.get(f.name, "") for f in account.fields})
    with db.transaction() as conn:
        carrier_accounts.save(conn, StoredAccount(code, account.title, account.kind.value, enabled, settings),
                              keys_changed=changed)
    return load_account(db, code)


def adapter_config(db, code: str, typed: dict[str, str] | None = None, settings: dict | None = None) -> AdapterConfig:
    """What the adapter needs, with typed-but-unsaved values taking precedence (so 'Test' works before 'Save')."""
    account = load_account(db, code)
    try:
        keys = carrier_accounts.read_keys(code, [f.name for f in account.fields])
    except secrets.SecretStoreError:
        keys = {}  # the adapter then says which key is missing
    keys.update({name: value.strip() for name, value in (typed or {}).items() if value and value.strip()})
    config = described.adapter_config(code, account.title, account.fields, keys,
                                      account.settings if settings is None else settings)
    return replace(config, local_zone=shop_zone_name(db.reader()))


def enabled_adapters(db, *, skip_kinds: tuple[str, ...] = BUILT_IN_KINDS) -> dict[str, CarrierAdapter]:
    """{code: adapter} for every enabled carrier account the registry knows, keys from the keychain.

    Own vans and pickup are skipped by default (priced and tracked in the store, no network).
    """
    adapters = {}
    for account in carrier_accounts.all_accounts(db.reader(), enabled_only=True):
        if account.kind in skip_kinds:
            continue
        try:
            adapters[account.code] = registry.create(adapter_config(db, account.code))
        except KeyError:  # an account whose carrier this build does not have (e.g. karrio not installed)
            continue
    return adapters
