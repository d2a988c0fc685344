"""Settings > Shops: a shop owner connects a Shopify store; keys go to the keychain, mistakes are said plainly."""
from __future__ import annotations

from PySide6.QtCore import Qt

from controltower.services.shops import ShopsService, shop_connections
from controltower.ui.settings.shops import ShopsDialog


def test_connecting_a_shopify_store_saves_the_connection_and_keeps_the_token_in_the_keychain(qtbot, store, memory_keyring):
    changes = []
    dialog = ShopsDialog(ShopsService(store, on_change=lambda name, connection: changes.append((name, connection))))
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.keyClicks(dialog.name, "rosecity")
    qtbot.keyClicks(dialog.url, "https://rosecity.myshopify.com")
    assert not dialog.key_fields["consumer_key"].isVisible() and dialog.key_fields["access_token"].isVisible()
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert dialog.message.text().startswith("The Admin API access token is missing.")
    assert shop_connections(store) == [] and changes == []
    qtbot.keyClicks(dialog.key_fields["access_token"], "shpat_0123456789abcdef")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert dialog.message.text().startswith("Connected rosecity: new orders are pulled every 10 min")
    assert [item.text() for item in dialog.shop_list.findItems("*", Qt.MatchFlag.MatchWildcard)] == ["rosecity (Shopify)"]
    assert dialog.key_fields["access_token"].text() == ""
    assert dialog.key_fields["access_token"].placeholderText() == "saved (…cdef); type to replace"
    (connection,) = shop_connections(store)
    assert (connection.platform, connection.url) == ("shopify", "https://rosecity.myshopify.com")
    assert "shpat_0123456789abcdef" not in str(store.query("SELECT * FROM settings"))  # never in the store file
    assert memory_keyring.passwords[("ControlTower", "shop:rosecity:access_token")] == "shpat_0123456789abcdef"
    assert changes == [("rosecity", connection)]  # the app's pull job follows at once


def test_woocommerce_asks_for_its_two_keys_refuses_plain_http_and_removing_forgets_the_keys(qtbot, store, memory_keyring):
    dialog = ShopsDialog(ShopsService(store))
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.platform.setCurrentIndex(dialog.platform.findData("woocommerce"))
    assert dialog.key_fields["consumer_secret"].isVisible() and not dialog.key_fields["access_token"].isVisible()
    qtbot.keyClicks(dialog.name, "garden")
    qtbot.keyClicks(dialog.url, "http://garden.example")
    qtbot.keyClicks(dialog.key_fields["consumer_key"], "ck_1")
    qtbot.keyClicks(dialog.key_fields["consumer_secret"], "cs_1")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert "is not an https:// address" in dialog.message.text() and shop_connections(store) == []
    dialog.url.setText("https://garden.example")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert [c.name for c in shop_connections(store)] == ["garden"]
    qtbot.mouseClick(dialog.remove_button, Qt.MouseButton.LeftButton)
    assert shop_connections(store) == [] and dialog.shop_list.count() == 0
    assert not [name for _service, name in memory_keyring.passwords if name.startswith("shop:garden")]
