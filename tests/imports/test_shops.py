"""Shop sync against local Shopify- and WooCommerce-shaped servers: paging, cost throttling, cursors, errors, fulfilment."""
from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from fake_shops import FakeShopify, FakeWoo, serve

from controltower.imports.shops import Fulfilment, ShopError, ShopifyClient, ShopSync, WooCommerceClient
from controltower.store.orders import get_order, get_order_id
from controltower.store.secrets import set_secret


@pytest.fixture
def shopify():
    fake = FakeShopify(60)
    server, url = serve(fake)
    yield fake, url
    server.shutdown()
    server.server_close()


@pytest.fixture
def woo():
    fake = FakeWoo(23)
    server, url = serve(fake)
    yield fake, url
    server.shutdown()
    server.server_close()


def recorded(really_wait=False):
    """A sleep that records what the client asked for (and waits for real when the fake's bucket must refill)."""
    waits = []

    async def sleep(seconds):
        waits.append(seconds)
        if really_wait:
            await asyncio.sleep(seconds)

    return waits, sleep


def test_shopify_pull_pages_through_every_order_and_a_second_pull_only_sees_changes(store, shopify):
    fake, url = shopify
    set_secret("shop:corner", "access_token", "shpat_test")  # the keychain, never the store
    sync = ShopSync(store, ShopifyClient("corner", url))
    first = asyncio.run(sync.pull())
    assert (first.imported, first.pages) == (60, 3)  # 25 per page
    assert first.skipped == []
    order = get_order(store.conn, get_order_id(store.conn, "#1001"))
    assert order.customer_name == "Zoë Customer 0" and order.address.postcode == "K1M 1M4"
    assert order.phone == "+16135550199" and order.delivery_option.value == "express"
    assert order.value.amount_minor == 4250 and order.value.currency == "CAD"
    assert [(l.sku, l.quantity, l.unit_price.amount_minor) for l in order.lines] == [("MPL-1", 2, 2125)]
    bad_phone = get_order(store.conn, get_order_id(store.conn, "#1004"))
    assert bad_phone.phone == "" and "Phone as typed: not a phone" in bad_phone.notes
    assert store.get_setting("shops.corner.cursor") == "2025-10-01T08:59:00+00:00"
    assert "shpat_test" not in str(store.query("SELECT * FROM settings"))

    fake.orders[10]["updatedAt"] = "2025-10-02T09:00:00Z"
    fake.orders[10]["shippingAddress"]["address1"] = "11 Rideau St"
    second = asyncio.run(sync.pull())
    assert fake.requests[-1]["variables"]["query"] == "updated_at:>='2025-10-01T08:59:00Z'"
    assert (second.imported, second.updated, second.unchanged) == (0, 1, 1)
    assert get_order(store.conn, get_order_id(store.conn, "#1011")).address.street == "11 Rideau St"


def test_shopify_waits_for_its_cost_bucket_and_retries_when_throttled(store, shopify):
    fake, url = shopify
    fake.restore = 1000.0
    fake.throttle_next = 1
    waits, sleep = recorded(really_wait=True)
    client = ShopifyClient("corner", url, token="shpat_test", sleep=sleep)
    result = asyncio.run(ShopSync(store, client).pull())
    assert result.imported == 60
    assert waits and abs(waits[0] - 0.53) < 0.01  # 530 points at 1,000 points/s after being throttled
    assert len(fake.requests) == 4  # the throttled request was sent again


def test_shopify_bad_token_is_a_plain_error(store, shopify):
    _fake, url = shopify
    with pytest.raises(ShopError, match="refused the access token"):
        asyncio.run(ShopSync(store, ShopifyClient("corner", url, token="wrong")).pull())
    with pytest.raises(ShopError, match="No Shopify access token saved"):
        asyncio.run(ShopSync(store, ShopifyClient("other", url)).pull())


def test_shopify_fulfilment_carries_the_tracking_number(store, shopify):
    fake, url = shopify
    client = ShopifyClient("corner", url, token="shpat_test")
    fulfilment_id = asyncio.run(client.push_fulfilment(Fulfilment("#1003", "Canada Post", "7023210039414604",
                                                                  "https://www.canadapost-postescanada.ca/track?pin=7023210039414604")))
    assert fulfilment_id == "gid://shopify/Fulfillment/77"
    sent = fake.fulfilments[0]
    assert sent["lineItemsByFulfillmentOrder"] == [{"fulfillmentOrderId": "gid://shopify/FulfillmentOrder/95002"}]
    assert sent["trackingInfo"]["company"] == "Canada Post" and sent["trackingInfo"]["number"] == "7023210039414604"
    assert sent["notifyCustomer"] is True


def test_woocommerce_pull_follows_total_pages_and_survives_a_server_error(store, woo):
    fake, url = woo
    set_secret("shop:wp", "consumer_key", "ck_test")
    set_secret("shop:wp", "consumer_secret", "cs_test")
    fake.fail_next = 1
    waits, sleep = recorded()
    sync = ShopSync(store, WooCommerceClient("wp", url, sleep=sleep))
    result = asyncio.run(sync.pull())
    assert (result.imported, result.pages) == (23, 1)
    assert waits == [1.0]  # one back-off after the 500
    jurgen = get_order(store.conn, get_order_id(store.conn, "2001"))
    assert jurgen.customer_name == "Jürgen Weiß 1" and jurgen.address.street == "Königsallee 2"
    assert jurgen.phone == "+491701234567" and jurgen.delivery_option.value == "express"
    assert jurgen.lines[0].name == "Kaffeemühle – Edelstahl" and jurgen.lines[0].unit_price.amount_minor == 4990

    fake.orders[5]["date_modified_gmt"] = "2025-10-03T10:00:00"
    fake.orders[5]["shipping"]["address_1"] = "Neue Straße 5"
    again = asyncio.run(sync.pull())
    get_requests = [r for r in fake.requests if r[0] == "GET"]
    assert get_requests[-1][2]["modified_after"] == "2025-10-01T08:22:00"
    assert get_requests[-1][2]["per_page"] == "100"
    assert (again.imported, again.updated) == (0, 1)


def test_woocommerce_pages_when_there_are_more_than_100_orders(store):
    fake = FakeWoo(230)
    server, url = serve(fake)
    try:
        result = asyncio.run(ShopSync(store, WooCommerceClient("wp", url, key="ck_test", secret="cs_test")).pull())
    finally:
        server.shutdown()
        server.server_close()
    assert (result.imported, result.pages) == (230, 3)
    assert [r[2]["page"] for r in fake.requests] == ["1", "2", "3"]


def test_woocommerce_errors_are_plain(store, woo):
    _fake, url = woo
    with pytest.raises(ShopError, match="refused the keys"):
        asyncio.run(ShopSync(store, WooCommerceClient("wp", url, key="ck_bad", secret="x")).pull())
    with pytest.raises(ShopError, match="permalinks"):
        asyncio.run(ShopSync(store, WooCommerceClient("wp", url + "/shop", key="ck_test", secret="cs_test")).pull())
    with pytest.raises(ShopError, match="https"):
        WooCommerceClient("wp", "http://shop.example.com", key="k", secret="s")


def test_woocommerce_fulfilment_adds_a_customer_note_and_completes_the_order(woo):
    fake, url = woo
    client = WooCommerceClient("wp", url, key="ck_test", secret="cs_test")
    asyncio.run(client.push_fulfilment(Fulfilment("2004", "DHL", "JD014600006281230704", "https://www.dhl.de/track?id=JD014600006281230704")))
    (order_id, note), = fake.notes
    assert order_id == 704 and note["customer_note"] is True
    assert "DHL" in note["note"] and "JD014600006281230704" in note["note"] and "https://www.dhl.de/track" in note["note"]
    assert fake.updates == [(704, {"status": "completed"})]


def test_scheduled_sync_pulls_until_stopped(store, woo):
    fake, url = woo
    sync = ShopSync(store, WooCommerceClient("wp", url, key="ck_test", secret="cs_test"))

    async def run():
        stop = asyncio.Event()
        task = asyncio.create_task(sync.run(timedelta(seconds=0.05), stop))
        await asyncio.sleep(0.3)
        stop.set()
        await asyncio.wait_for(task, 5)

    asyncio.run(run())
    assert store.scalar("SELECT count(*) FROM orders") == 23
    assert len([r for r in fake.requests if r[0] == "GET"]) >= 2  # pulled more than once
    assert sync.last_error == ""
