"""Carrier accounts as the windows see them: which carriers are offered, each account's fields and saved state,
saving (keys to the system keychain) and testing a connection. The UI imports these from here, never from `sync`
or `carriers`; the work is done by `sync.accounts`."""
from __future__ import annotations

from ..carriers.accounts import Account
from ..carriers.base import AdapterConfig, ConnectionResult
from ..kernel.events import EventHub
from ..store import Database, carrier_accounts
from ..sync import accounts
from ..sync.accounts import SecretStoreError

__all__ = ["AccountsService", "Account", "AdapterConfig", "ConnectionResult", "SecretStoreError"]


class AccountsService:
    """The Carrier accounts dialog's service. Testing a connection goes to the network: call `check_connection`
    from a worker, never the UI thread."""

    def __init__(self, db: Database, hub: EventHub | None = None) -> None:
        self.db, self.hub = db, hub

    def offered_codes(self) -> list[str]:
        """The carriers the shop can set up, then any other account already stored (e.g. sandbox couriers)."""
        return accounts.offered_codes(self.db)

    def title_of(self, code: str) -> str:
        return accounts.title_of(self.db, code)

    def names(self) -> dict[str, str]:
        """{carrier code: the account's own name}."""
        return carrier_accounts.names(self.db.reader())

    def load(self, code: str) -> Account:
        """The account's fields, settings and masked saved keys (`keychain_problem` says when keys can't be read)."""
        return accounts.load_account(self.db, code)

    def save(self, code: str, typed: dict[str, str], *, enabled: bool, settings: dict) -> Account:
        """Typed keys go to the keychain (empty: keep the saved one), the rest to the store; SecretStoreError when the
        keychain is shut."""
        return accounts.save_account(self.db, code, typed, enabled=enabled, settings=settings)

    def adapter_config(self, code: str, typed: dict[str, str] | None = None, settings: dict | None = None) -> AdapterConfig:
        """What a connection test needs, typed-but-unsaved values first (so Test works before Save)."""
        return accounts.adapter_config(self.db, code, typed, settings)

    @staticmethod
    def check_connection(config: AdapterConfig) -> ConnectionResult:
        """Ask the carrier whether the keys work (network: from a worker)."""
        return accounts.check_connection(config)
