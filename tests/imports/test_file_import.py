"""Importing real-shaped shop exports: encodings, delimiters, line items, multi-line addresses, rejects, idempotence."""
from __future__ import annotations

import csv
import json
import subprocess
import sys

import openpyxl

from controltower.imports import GENERIC, SHOPIFY, WOOCOMMERCE, import_file, prepare, read_table, write_rejects
from controltower.store.orders import get_order, get_order_id


def order(store, ref):
    return get_order(store.conn, get_order_id(store.conn, ref))


def test_shopify_export_groups_line_items_and_keeps_unicode(store, data_dir):
    report = import_file(store, data_dir / "shopify_orders.csv")
    assert report.profile == "shopify"
    assert (report.imported, report.rejected, report.rows) == (6, 0, 9)

    berlin = order(store, "#1001")
    assert berlin.customer_name == "Zoë Müller"
    assert berlin.address.street == "Friedrichstraße 123"
    assert berlin.address.line2 == "Hinterhaus, 3. OG, bei Schmidt klingeln"  # a two-line cell, one line
    assert berlin.address.postcode == "10117"  # Shopify's leading apostrophe removed
    assert berlin.phone == "+4930901820"
    assert berlin.delivery_option.value == "express"
    assert berlin.value.amount_minor == 8450 and berlin.value.currency == "EUR"
    assert berlin.created_at.isoformat() == "2025-10-07T07:50:26+00:00"
    assert [(l.sku, l.quantity, l.unit_price.amount_minor) for l in berlin.lines] == [("CAF-250", 2, 1250), ("CUP-W", 1, 5950)]
    assert "falls niemand da ist" in berlin.notes

    new_york = order(store, "#1003")
    assert new_york.customer_name.startswith("山田 太郎")
    assert len(new_york.lines) == 3
    assert new_york.phone == "+12127365000"
    assert order(store, "#1005").address.postcode == "K1M 1M4"  # Canadian code tidied
    assert order(store, "#1005").delivery_option.value == "pickup"
    assert order(store, "#1004").delivery_option.value == "same_day"


def test_excel_resave_with_bom_crlf_and_semicolons_reads_the_same(store, data_dir):
    table = read_table(data_dir / "shopify_orders_excel_bom_semicolon.csv")
    assert (table.encoding, table.delimiter) == ("utf-8-sig", ";")
    assert table.headers[0] == "Name"  # no BOM glued to the first header
    first = import_file(store, data_dir / "shopify_orders.csv")
    again = import_file(store, data_dir / "shopify_orders_excel_bom_semicolon.csv")
    assert first.imported == 6
    assert (again.imported, again.updated, again.unchanged) == (0, 0, 6)


def test_woocommerce_windows_1252_export_with_packed_line_items(store, data_dir):
    report = import_file(store, data_dir / "woocommerce_orders_cp1252.csv")
    assert report.profile == "woocommerce" and report.encoding == "cp1252"
    assert (report.imported, report.rejected) == (3, 0), report.errors
    jurgen = order(store, "2051")
    assert jurgen.customer_name == "Jürgen Weiß"
    assert jurgen.address.city == "Düsseldorf" and jurgen.address.line2 == "Büro 4"
    assert jurgen.notes == "Lieferung bitte ab 12 Uhr – danke!"
    assert [(l.name, l.quantity) for l in jurgen.lines] == [("Kaffeemühle – Edelstahl", 1), ("Filtertüten", 2)]
    assert order(store, "2053").address.postcode == "NW1 6XE"
    assert order(store, "2053").delivery_option.value == "express"


def test_utf16_tab_separated_file_from_excel(store, tmp_path):
    text = "order_ref\tname\tstreet\tcity\tpostcode\tcountry\nT-1\tÅsa Öberg\t1 Main St\tSpringfield\t62701\tUS\n"
    path = tmp_path / "unicode.txt"
    path.write_bytes(b"\xff\xfe" + text.encode("utf-16-le"))
    report = import_file(store, path, GENERIC)
    assert report.imported == 1
    assert order(store, "T-1").customer_name == "Åsa Öberg"


def test_xlsx_with_numbers_that_lost_their_leading_zeros(store, tmp_path):
    path = tmp_path / "orders.xlsx"
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Order", "Customer", "Address", "City", "Zip", "Country", "Qty", "Item"])
    sheet.append([5001, "Nora Jersey", "1 Ocean Ave", "Newark", 7102, "US", 2, "Bagels"])
    sheet.append([5002, "Hans Dresden", "Altmarkt 1", "Dresden", 1067, "Germany", 1, "Stollen"])
    workbook.save(path)
    report = import_file(store, path)
    assert report.imported == 2, report.errors
    assert order(store, "5001").address.postcode == "07102"
    assert order(store, "5002").address.postcode == "01067"
    assert order(store, "5002").address.country == "DE"
    assert order(store, "5001").lines[0].quantity == 2


def test_every_kind_of_bad_row_is_listed_with_row_column_and_reason(store, data_dir):
    report = import_file(store, data_dir / "bad_rows.csv")
    assert report.imported == 2  # G-1 and G-17 (a formula-looking name is data, neutralised on export)
    reasons = {(e.row, e.column): e.reason for e in report.errors}
    assert reasons[(3, "order_ref")] == "order number is missing"
    assert reasons[(4, "customer_name")] == "customer name is missing"
    assert reasons[(5, "phone")] == "phone “12345” is not a possible phone number for US"
    assert "not an email address" in reasons[(6, "email")]
    assert "not a US postcode" in reasons[(7, "postcode")]
    assert "not a date we can read" in reasons[(8, "created_at")]
    assert reasons[(9, "quantity")] == "item quantity must be at least 1, not 0"
    assert "not a whole number" in reasons[(10, "quantity")]
    assert reasons[(11, "street")] == "street address is missing"
    assert "not a country we know" in reasons[(12, "country")]
    assert "not a number" in reasons[(13, "price")]
    assert reasons[(14, "city")] == "city is missing"
    assert "not a GB postcode" in reasons[(15, "postcode")]
    assert "at least 1" in reasons[(16, "parcels")]
    assert "not a date" in reasons[(17, "deliver by")]
    assert report.rejected == 15
    assert store.scalar("SELECT count(*) FROM orders") == 2


def test_rejects_csv_lists_original_rows_with_reasons(tmp_path, data_dir):
    table = read_table(data_dir / "bad_rows.csv")
    prepared = prepare(table, GENERIC.in_zone("UTC"))
    out = tmp_path / "rejects.csv"
    assert write_rejects(out, table, prepared.problems, prepared.rejected_rows) == 15
    with open(out, encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert rows[0]["Row"] == "3" and rows[0]["Reason"] == "order_ref: order number is missing"
    by_ref = {r["order_ref"]: r for r in rows}
    assert by_ref["G-6"]["Reason"].startswith("postcode: postcode “ABCDE”")


def test_fixed_rejects_can_be_imported_again(store, tmp_path, data_dir):
    table = read_table(data_dir / "bad_rows.csv")
    prepared = prepare(table, GENERIC.in_zone("UTC"))
    out = tmp_path / "rejects.csv"
    write_rejects(out, table, prepared.problems, prepared.rejected_rows)
    text = out.read_text(encoding="utf-8-sig").replace("ABCDE", "62704")
    out.write_text(text, encoding="utf-8-sig")
    report = import_file(store, out, GENERIC)
    assert get_order_id(store.conn, "G-6") is not None
    assert report.imported == 1


def test_reimport_changes_nothing_and_an_edited_row_updates_its_order(store, data_dir, tmp_path):
    first = import_file(store, data_dir / "shopify_orders.csv")
    audit_before = store.scalar("SELECT count(*) FROM audit_log")
    second = import_file(store, data_dir / "shopify_orders.csv")
    assert (first.imported, second.imported, second.updated, second.unchanged) == (6, 0, 0, 6)
    assert store.scalar("SELECT count(*) FROM orders") == 6
    assert store.scalar("SELECT count(*) FROM order_lines") == 9
    assert store.scalar("SELECT count(*) FROM audit_log") == audit_before + 1  # the import itself is audited

    edited = tmp_path / "edited.csv"
    edited.write_text((data_dir / "shopify_orders.csv").read_text(encoding="utf-8").replace("Vegemite 220g", "Vegemite 380g")
                      .replace("1 Macquarie St", "2 Macquarie St"), encoding="utf-8")
    third = import_file(store, edited)
    assert (third.imported, third.updated, third.unchanged) == (0, 1, 5)
    sydney = order(store, "#1006")
    assert sydney.address.street == "2 Macquarie St" and sydney.lines[0].name == "Vegemite 380g"
    # the search index follows the update
    assert store.scalar("SELECT count(*) FROM orders_fts WHERE orders_fts MATCH '\"Macquarie\"'") == 1


def test_bulk_import_fills_the_search_index_and_keeps_its_trigger(store, tmp_path):
    path = tmp_path / "many.csv"
    lines = ["order_ref,name,street,city,postcode,country"] + [f"B-{i},Customer {i},{i} Elm St,Springfield,62701,US" for i in range(1200)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert import_file(store, path).imported == 1200
    assert store.scalar("SELECT count(*) FROM orders_fts WHERE orders_fts MATCH '\"Customer\" AND \"1199\"'") == 1
    assert store.scalar("SELECT count(*) FROM sqlite_master WHERE type='trigger' AND name='orders_fts_insert'") == 1
    with store.transaction() as conn:  # a later single insert is still indexed by the trigger
        conn.execute("INSERT INTO orders(order_ref, created_at, updated_at, customer_name, delivery_option) "
                     "VALUES ('X-1', '2025-01-01T00:00:00+00:00', '2025-01-01T00:00:00+00:00', 'Zebedee', 'standard')")
    assert store.scalar("SELECT count(*) FROM orders_fts WHERE orders_fts MATCH '\"Zebedee\"'") == 1


def test_cli_prints_json_and_exits_0_with_rejects(tmp_path, data_dir):
    db = tmp_path / "cli.db"
    run = subprocess.run([sys.executable, "-m", "controltower.cli", "import", str(data_dir / "bad_rows.csv"), "--db", str(db),
                          "--create", "--profile", "generic", "--json"], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert result["imported"] == 2 and result["rejected"] == 15 and result["updated"] == 0
    assert {"row": 7, "column": "postcode", "reason": result["errors"][4]["reason"]} == result["errors"][4]


def test_cli_exits_2_when_the_file_cannot_be_read(tmp_path):
    db = tmp_path / "cli.db"
    missing = subprocess.run([sys.executable, "-m", "controltower.cli", "import", str(tmp_path / "nope.csv"), "--db", str(db),
                              "--create"],
                             capture_output=True, text=True, timeout=120)
    assert missing.returncode == 2 and "Could not open nope.csv" in missing.stderr
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a workbook")
    run = subprocess.run([sys.executable, "-m", "controltower.cli", "import", str(broken), "--db", str(db), "--create"],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 2 and "not a readable Excel workbook" in run.stderr


def test_profiles_match_columns_by_name_not_position():
    headers = ["Lineitem name", "Shipping City", "Name", "Shipping Address1", "Shipping Name"]
    columns = SHOPIFY.resolve(headers)
    assert columns["order_ref"] == [2] and columns["city"] == [1]
    assert "order_ref" in WOOCOMMERCE.resolve(["order_number", "shipping_address_1"])


def test_store_pickup_orders_need_no_delivery_address(store, tmp_path):
    path = tmp_path / "pickup.csv"
    path.write_text("order_ref,name,street,city,postcode,country,delivery\n"
                    "P-1,Pat Pickup,,,,US,Local pickup\n"
                    "P-2,Dan Delivery,,,,US,Standard\n", encoding="utf-8")
    report = import_file(store, path)
    assert report.imported == 1
    assert order(store, "P-1").delivery_option.value == "pickup"
    assert [(e.row, e.column) for e in report.errors] == [(3, "street"), (3, "city"), (3, "postcode")]


def test_older_shopify_export_and_woocommerce_one_row_per_item(store, tmp_path):
    shopify = tmp_path / "old_shopify.csv"
    shopify.write_text("Name,Email,Created at,Lineitem quantity,Lineitem name,Lineitem price,Shipping Name,Shipping Street,"
                       "Shipping City,Shipping Zip,Shipping Country,Shipping Method\n"
                       "#77,a@example.com,2024-05-01 10:00:00 -0400,1,Mug,8.00,Ann Lee,5 Elm St,Boston,'02108,US,Standard\n"
                       "#77,a@example.com,,2,Spoon,1.50,,,,,,\n", encoding="utf-8")
    report = import_file(store, shopify)
    assert report.profile == "shopify" and report.imported == 1, report.errors
    assert order(store, "#77").address.street == "5 Elm St" and order(store, "#77").value.amount_minor == 1100

    woo = tmp_path / "woo_rows.csv"
    woo.write_text("order_id,order_number,order_date,billing_first_name,billing_last_name,billing_email,billing_phone,"
                   "shipping_address_1,shipping_postcode,shipping_city,shipping_country,item_name,item_sku,item_quantity,item_total\n"
                   "9,9,2024-05-02 11:00,Émile,Zola,e@example.fr,01 42 65 00 00,1 Rue de Rivoli,75001,Paris,FR,Livre,LV-1,3,30.00\n"
                   "9,9,2024-05-02 11:00,Émile,Zola,e@example.fr,01 42 65 00 00,1 Rue de Rivoli,75001,Paris,FR,Plume,PL-1,1,5.00\n",
                   encoding="utf-8")
    report = import_file(store, woo)
    assert report.profile == "woocommerce" and report.imported == 1, report.errors
    zola = order(store, "9")
    assert zola.customer_name == "Émile Zola" and [(l.sku, l.quantity) for l in zola.lines] == [("LV-1", 3), ("PL-1", 1)]
