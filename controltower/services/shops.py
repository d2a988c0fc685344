"""The shop's online stores (Shopify, WooCommerce): which are connected, and a ShopSync for each.

Connections are settings (`shops.connections`: a JSON list of {name, platform, url, every_minutes}); their
tokens and keys live in the keychain under "shop:<name>", never in the store.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass

from ..kernel.errors import InputError

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


def connect_shop(db, connection: ShopConnection) -> None:
    """Add or replace a connection (its keys go to the keychain separately, under "shop:<name>")."""
    if connection.platform not in PLATFORMS:
        raise InputError(f"Control Tower does not know the shop platform {connection.platform!r}.",
                         f"Choose one of: {', '.join(PLATFORMS)}.")
    if connection.every_minutes <= 0:
        raise InputError("A shop is pulled every so many minutes; that number must be above zero.")
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
