"""The shop's online stores (Shopify, WooCommerce): which are connected, and a ShopSync for each.

Connections are settings (`shops.connections`: a JSON list of {name, platform, url, every_minutes}); their
tokens and keys live in the keychain under "shop:<name>", never in the store.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from urllib.parse import urlsplit

from ..kernel.errors import InputError
from ..store.secrets import delete_secret, get_secret, mask, set_secret

SETTING = "shops.connections"
PLATFORMS = ("shopify", "woocommerce")


@dataclass(frozen=True)
class ShopConnection:
    name: str
    platform: str  # shopify | woocommerce
    url: str
    every_minutes: float = 10.0


def shop_connections(db) -> list[ShopConnection]:
    """The connected shops; a malformed entry is skipped rather than stopping the app."""
    text = db.get_setting(SETTING)
    if not text:
        return []
    try:
        entries = json.loads(text)
    except ValueError:
        return []
    connections = []
    for entry in entries if isinstance(entries, list) else []:
        try:
            connection = ShopConnection(str(entry["name"]), str(entry["platform"]).lower(), str(entry["url"]),
                                        float(entry.get("every_minutes") or 10.0))
        except (KeyError, TypeError, ValueError):
            continue
        if connection.platform in PLATFORMS and connection.name:
            connections.append(connection)
    return connections


# What each platform's keys are called in the keychain (account "shop:<name>") and in the Settings dialog.
KEYS = {"shopify": (("access_token", "Admin API access token"),),
        "woocommerce": (("consumer_key", "Consumer key"), ("consumer_secret", "Consumer secret"))}


def check_connection(connection: ShopConnection) -> None:
    """Refuse a connection that could never work, with what to fix."""
    if connection.platform not in PLATFORMS:
        raise InputError(f"Control Tower does not know the shop platform {connection.platform!r}.",
                         f"Choose one of: {', '.join(PLATFORMS)}.")
    if not connection.name.strip():
        raise InputError("Give the shop a name.", "Any short name, e.g. the shop's domain.")
    parts = urlsplit(connection.url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise InputError(f"{connection.url!r} is not a web address.", "Paste the shop's address, e.g. https://myshop.example.")
    if parts.scheme == "http" and parts.hostname not in ("127.0.0.1", "localhost", "::1"):
        raise InputError(f"{connection.url} is not an https:// address.", "Shop keys are only ever sent over HTTPS.")
    if connection.every_minutes <= 0:
        raise InputError("A shop is pulled every so many minutes; that number must be above zero.")


def connect_shop(db, connection: ShopConnection) -> None:
    """Add or replace a connection (its keys go to the keychain separately, under "shop:<name>")."""
    check_connection(connection)
    others = [c for c in shop_connections(db) if c.name != connection.name]
    db.set_setting(SETTING, json.dumps([asdict(c) for c in others + [connection]]))


def shop_sync_for(db, connection: ShopConnection, hub=None):
    """A ShopSync pulling from this connection (credentials are read from the keychain when it first calls)."""
    from ..imports.shops import ShopifyClient, ShopSync, WooCommerceClient

    if connection.platform == "shopify":
        client = ShopifyClient(connection.name, connection.url)
    else:
        client = WooCommerceClient(connection.name, connection.url)
    return ShopSync(db, client, hub)


def disconnect_shop(db, name: str) -> None:
    """Forget a connection and its keys."""
    gone = [c for c in shop_connections(db) if c.name == name]
    db.set_setting(SETTING, json.dumps([asdict(c) for c in shop_connections(db) if c.name != name]))
    for connection in gone:
        for key, _label in KEYS[connection.platform]:
            delete_secret(f"shop:{name}", key)


@dataclass(frozen=True)
class ShopView:
    """A connection as Settings > Shops shows it: the keys masked, never the keys themselves."""

    connection: ShopConnection
    saved_keys: dict[str, str]  # key name -> masked value, for keys in the keychain


class ShopsService:
    """Settings > Shops: connect, change and remove shops; the app's pull job follows at once (`on_change`)."""

    def __init__(self, db, on_change=None) -> None:
        self.db = db
        self.on_change = on_change or (lambda _name, _connection: None)

    def shops(self) -> list[ShopView]:
        views = []
        for connection in shop_connections(self.db):
            saved = {}
            for key, _label in KEYS[connection.platform]:
                value = get_secret(f"shop:{connection.name}", key)
                if value:
                    saved[key] = mask(value)
            views.append(ShopView(connection, saved))
        return views

    def save(self, connection: ShopConnection, keys: dict[str, str]) -> ShopView:
        """Save the connection; typed keys go to the keychain (an empty one keeps what is saved)."""
        check_connection(connection)
        account = f"shop:{connection.name}"
        for key, label in KEYS[connection.platform]:
            typed = (keys.get(key) or "").strip()
            if typed:
                set_secret(account, key, typed)
            elif not get_secret(account, key):
                raise InputError(f"The {label} is missing.", "Paste it from the shop's admin; it is kept in the system keychain.")
        connect_shop(self.db, connection)
        self.on_change(connection.name, connection)
        return next(view for view in self.shops() if view.connection.name == connection.name)

    def remove(self, name: str) -> None:
        disconnect_shop(self.db, name)
        self.on_change(name, None)
