"""Column mappings ("profiles"): which column of a file feeds which order field; ready ones for Shopify, WooCommerce and a generic sheet."""
from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, replace

# The order fields a file can fill, in the order the wizard lists them, with the label a shop owner reads.
FIELDS: dict[str, str] = {
    "order_ref": "Order number",
    "created_at": "Order date",
    "customer_name": "Customer name",
    "first_name": "First name",
    "last_name": "Last name",
    "phone": "Phone",
    "email": "Email",
    "street": "Street address",
    "line2": "Address line 2",
    "city": "City",
    "region": "State / province",
    "postcode": "Postcode",
    "country": "Country",
    "delivery_option": "Delivery option",
    "promised_start": "Deliver from",
    "promised_end": "Deliver by",
    "parcels": "Parcels",
    "weight": "Weight",
    "value": "Order total",
    "currency": "Currency",
    "notes": "Notes",
    "line_sku": "Item SKU",
    "line_name": "Item name",
    "line_quantity": "Item quantity",
    "line_price": "Item price",
    "line_items": "Items (packed in one cell)",
}
REQUIRED = ("order_ref", "street", "city")


def normalise_header(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", name.lower()).strip()


@dataclass(frozen=True)
class ImportProfile:
    """How to read one kind of file. `columns` maps a field to header names tried in order (first non-empty wins)."""

    name: str
    columns: dict[str, tuple[str, ...]]
    source: str = "file"
    default_country: str = "US"
    default_currency: str = "USD"
    default_option: str = "standard"
    weight_unit: str = "g"  # g, kg, lb, oz
    date_order: str = "ymd"  # how to read 03/04/2025: "dmy" or "mdy"; ISO dates always work
    # The zone of times written without an offset: "" is the shop's own (store.shop_clock), filled in by in_zone()
    # when a file is checked against a store; a shop's export writes its local times bare.
    timezone: str = ""
    guarded: bool = False  # written with the app's formula guard: "'=x" in a cell was "=x" (exports.tables)

    def in_zone(self, zone_name: str) -> "ImportProfile":
        """This profile reading bare times in `zone_name` (the shop's), unless it names a zone of its own."""
        return self if self.timezone else replace(self, timezone=zone_name)

    def resolve(self, headers: list[str]) -> dict[str, list[int]]:
        """For each field, the indexes of its candidate columns present in this file."""
        index = {}
        for i, header in enumerate(headers):
            index.setdefault(normalise_header(header), i)
        found = {}
        for name, candidates in self.columns.items():
            present = [index[normalise_header(c)] for c in candidates if normalise_header(c) in index]
            if present:
                found[name] = present
        return found

    def missing_required(self, headers: list[str]) -> list[str]:
        found = self.resolve(headers)
        missing = [f for f in REQUIRED if f not in found]
        if "customer_name" not in found and "first_name" not in found and "last_name" not in found:
            missing.append("customer_name")
        return missing

    def with_column(self, field_name: str, header: str | None) -> "ImportProfile":
        """This profile with one field mapped to a single column (None: not imported)."""
        columns = dict(self.columns)
        if header:
            columns[field_name] = (header,)
        else:
            columns.pop(field_name, None)
        return replace(self, columns=columns)

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "ImportProfile":
        data = json.loads(text)
        data["columns"] = {k: tuple(v) for k, v in data["columns"].items()}
        if data.get("timezone") == "UTC":
            # Saved before bare times meant the shop's zone: "UTC" was the default, never a choice (no screen sets it).
            data["timezone"] = ""
        return cls(**data)


# Shopify's Orders > Export: one row per line item; order-level columns only on an order's first row.
SHOPIFY = ImportProfile(
    name="shopify",
    source="shopify",
    columns={
        "order_ref": ("Name",),
        "created_at": ("Created at",),
        "customer_name": ("Shipping Name", "Billing Name"),
        "phone": ("Shipping Phone", "Phone", "Billing Phone"),
        "email": ("Email",),
        "street": ("Shipping Address1", "Shipping Street"),
        "line2": ("Shipping Address2", "Shipping Company"),
        "city": ("Shipping City",),
        "region": ("Shipping Province",),
        "postcode": ("Shipping Zip",),
        "country": ("Shipping Country",),
        "delivery_option": ("Shipping Method",),
        "value": ("Total",),
        "currency": ("Currency",),
        "notes": ("Notes",),
        "line_sku": ("Lineitem sku",),
        "line_name": ("Lineitem name",),
        "line_quantity": ("Lineitem quantity",),
        "line_price": ("Lineitem price",),
    },
)

# WooCommerce "Customer / Order / Coupon Export": default format packs items in `line_items`,
# the one-row-per-item formats spell them out in item_* columns.
WOOCOMMERCE = ImportProfile(
    name="woocommerce",
    source="woocommerce",
    columns={
        "order_ref": ("order_number", "order_id"),
        "created_at": ("order_date",),
        "first_name": ("shipping_first_name", "billing_first_name"),
        "last_name": ("shipping_last_name", "billing_last_name"),
        "phone": ("shipping_phone", "billing_phone"),
        "email": ("billing_email",),
        "street": ("shipping_address_1", "billing_address_1"),
        "line2": ("shipping_address_2", "billing_address_2"),
        "city": ("shipping_city", "billing_city"),
        "region": ("shipping_state", "billing_state"),
        "postcode": ("shipping_postcode", "billing_postcode"),
        "country": ("shipping_country", "billing_country"),
        "delivery_option": ("shipping_method",),
        "value": ("order_total",),
        "currency": ("order_currency",),
        "notes": ("customer_note",),
        "line_items": ("line_items",),
        "line_sku": ("item_sku",),
        "line_name": ("item_name",),
        "line_quantity": ("item_quantity",),
        "line_price": ("item_price",),  # item_total is the whole line, not a unit price
    },
)

# A spreadsheet a person made: the usual names for each field.
GENERIC = ImportProfile(
    name="generic",
    source="file",
    columns={
        "order_ref": ("order_ref", "order", "order number", "order no", "order id", "reference", "ref"),
        "created_at": ("created_at", "order date", "date", "created"),
        "customer_name": ("customer_name", "customer", "name", "recipient", "full name"),
        "first_name": ("first name", "first_name"),
        "last_name": ("last name", "last_name", "surname"),
        "phone": ("phone", "telephone", "mobile", "phone number"),
        "email": ("email", "e-mail", "email address"),
        "street": ("street", "address", "address1", "address line 1", "street address"),
        "line2": ("line2", "address2", "address line 2", "apartment"),
        "city": ("city", "town", "suburb"),
        "region": ("region", "state", "province", "county"),
        "postcode": ("postcode", "zip", "zip code", "postal code", "postal_code"),
        "country": ("country", "country code"),
        "delivery_option": ("delivery_option", "delivery", "service", "shipping method"),
        "promised_start": ("promised_start", "deliver from", "window start"),
        "promised_end": ("promised_end", "deliver by", "window end"),
        "parcels": ("parcels", "packages", "boxes"),
        "weight": ("weight", "weight_g", "weight g"),
        "value": ("value", "total", "order total", "amount"),
        "currency": ("currency",),
        "notes": ("notes", "note", "instructions", "delivery instructions"),
        "line_sku": ("sku", "item sku"),
        "line_name": ("item", "item name", "product"),
        "line_quantity": ("quantity", "qty", "item quantity"),
        "line_price": ("price", "item price", "unit price"),
    },
)

# The app's own orders export (exports.tables, "orders"): read back with nothing changed or lost (the position is
# not in it as a field: an imported order is placed again).
CONTROL_TOWER = ImportProfile(
    name="controltower",
    source="file",
    guarded=True,
    columns={
        "order_ref": ("Order",), "created_at": ("Created (UTC)",), "customer_name": ("Customer",), "phone": ("Phone",),
        "email": ("Email",), "street": ("Street",), "line2": ("Line 2",), "city": ("City",), "region": ("Region",),
        "postcode": ("Postcode",), "country": ("Country",), "delivery_option": ("Delivery option",),
        "promised_start": ("Deliver from (UTC)",), "promised_end": ("Deliver by (UTC)",), "parcels": ("Parcels",),
        "weight": ("Weight (g)",), "value": ("Value",), "currency": ("Currency",), "notes": ("Notes",),
        "line_items": ("Items",),
    },
)

BUILT_IN: dict[str, ImportProfile] = {p.name: p for p in (SHOPIFY, WOOCOMMERCE, GENERIC, CONTROL_TOWER)}
_SETTING_PREFIX = "imports.profile."


def guess_profile(headers: list[str]) -> ImportProfile:
    """The built-in profile that recognises most of a file's columns (Shopify and WooCommerce by their marks)."""
    names = {normalise_header(h) for h in headers}
    if {"created utc", "deliver by utc", "items"} <= names:
        return CONTROL_TOWER
    if "name" in names and names & {"lineitem name", "lineitem quantity", "lineitem sku"}:
        return SHOPIFY  # older exports lack Shipping Address1 (only Shipping Street): the line-item columns are the mark
    if names & {"order number", "order id"} and names & {"shipping address 1", "billing address 1", "line items", "item name"}:
        return WOOCOMMERCE
    return GENERIC


def save_profile(db, profile: ImportProfile) -> None:
    """Keep a user's mapping in the store's settings under its name."""
    db.set_setting(_SETTING_PREFIX + profile.name, profile.to_json())


def load_profile(db, name: str) -> ImportProfile:
    if db is not None:
        saved = db.get_setting(_SETTING_PREFIX + name)
        if saved:
            return ImportProfile.from_json(saved)
    if name in BUILT_IN:
        return BUILT_IN[name]
    raise KeyError(name)


def saved_profile_names(db) -> list[str]:
    rows = db.query("SELECT key FROM settings WHERE key LIKE ? ORDER BY key", (_SETTING_PREFIX + "%",))
    return [r[0][len(_SETTING_PREFIX):] for r in rows]


def all_profile_names(db) -> list[str]:
    names = list(BUILT_IN)
    return names + [n for n in saved_profile_names(db) if n not in BUILT_IN]


__all__ = ["FIELDS", "REQUIRED", "ImportProfile", "SHOPIFY", "WOOCOMMERCE", "GENERIC", "CONTROL_TOWER", "BUILT_IN", "guess_profile",
           "save_profile", "load_profile", "saved_profile_names", "all_profile_names", "normalise_header"]
