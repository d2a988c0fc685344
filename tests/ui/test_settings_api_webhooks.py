"""Settings > Local API, Webhooks and Customer ratings through qtbot: a token created is shown once and then works
against the real local API, a revoked one is refused; an endpoint added with its events gets a test event the
published Standard Webhooks library verifies, the delivery log shows it, and an endpoint turned off after a day of
failures is named in a notice until it is turned on again."""
from __future__ import annotations

import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx
import pytest
import time_machine
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "api"))

from receiver import Receiver  # noqa: E402

from controltower.api.server import LocalApiServer  # noqa: E402
from controltower.services.core import ControlTower, Options  # noqa: E402
from controltower.services.setup import ShopDetails  # noqa: E402
from controltower.store.secrets import get_secret  # noqa: E402
from controltower.ui.setup import SettingsWindow  # noqa: E402

NOON = datetime(2026, 11, 25, 20, 0, tzinfo=timezone.utc)


def click(qtbot, button) -> None:
    assert button.isEnabled(), button.text()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


@pytest.fixture
def core(store):
    tower = ControlTower(store, options=Options(sync=False))
    tower.setup.save_shop(ShopDetails("Rose City Flowers", lat=45.5122, lon=-122.6413, timezone="America/Los_Angeles",
                                      phone="(503) 555-0199"))
    return tower


@pytest.fixture
def settings(qtbot, core):
    window = SettingsWindow(core)
    qtbot.addWidget(window)
    window.show()
    return window


def test_a_token_is_shown_once_works_on_the_api_and_is_refused_once_revoked(qtbot, core, settings):
    page = settings.show_page("api")
    qtbot.keyClicks(page.token_name, "Zapier")
    click(qtbot, page.create_button)
    token = page.new_token.text()
    assert token.startswith("ct_") and page.new_token.isVisible() and "shown only this once" in page.result.text()
    assert [page.tokens.item(i).text() for i in range(page.tokens.count())] == ["Zapier"]
    assert token not in " ".join(str(v) for row in core.db.query("SELECT * FROM settings") for v in tuple(row))
    reopened = SettingsWindow(core)  # shown once: a new window has the name, never the token
    qtbot.addWidget(reopened)
    assert reopened.pages["api"].new_token.text() == "" and reopened.pages["api"].tokens.item(0).text() == "Zapier"

    server = LocalApiServer(core, port=0, rate_per_second=1000)
    server.start()
    server.wait_ready()
    try:
        with httpx.Client(base_url=server.base_url, timeout=10) as client:
            assert client.get("/v1/orders", headers={"Authorization": f"Bearer {token}"}).status_code == 200
            page.tokens.setCurrentRow(0)
            click(qtbot, page.revoke_button)
            box = page.confirm
            qtbot.waitUntil(box.isVisible)
            click(qtbot, box.button(QMessageBox.StandardButton.Yes))
            assert page.tokens.count() == 0 and "revoked" in page.result.text() and not page.new_token.isVisible()
            assert client.get("/v1/orders", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    finally:
        server.stop()


def test_a_bad_token_name_is_said_and_nothing_is_created(qtbot, core, settings):
    page = settings.show_page("api")
    qtbot.keyClicks(page.token_name, "no/slashes")
    click(qtbot, page.create_button)
    assert "1-40 letters" in page.result.text() and page.tokens.count() == 0 and not page.new_token.isVisible()


def test_the_api_switch_and_port_are_saved(qtbot, core, settings):
    page = settings.show_page("api")
    page.enabled.setChecked(True)
    page.port.setValue(9100)
    assert settings.save() is True
    assert core.integrations.api_settings().enabled and core.db.get_setting("api.port") == "9100"


def test_an_endpoint_gets_its_events_a_verified_test_event_and_a_notice_when_turned_off(qtbot, core, settings):
    page = settings.show_page("webhooks")
    with Receiver() as receiver, time_machine.travel(NOON, tick=False) as clock:
        qtbot.keyClicks(page.url, receiver.url)
        click(qtbot, page.add_button)
        assert "Pick from" in page.result.text() and page.endpoints.rowCount() == 0  # no event chosen: nothing added
        page.event_boxes["shipment.delivered"].setChecked(True)
        page.event_boxes["exception.opened"].setChecked(True)
        click(qtbot, page.add_button)
        receiver.secret = page.secret.text()
        assert receiver.secret.startswith("whsec_") and get_secret("webhook", "1") == receiver.secret
        assert page.endpoints.item(0, 0).text() == receiver.url
        assert page.endpoints.item(0, 1).text() == "exception.opened, shipment.delivered"
        assert not page.notice.isVisible()

        receiver.down = True  # the receiving end is down for a day
        page.endpoints.selectRow(0)
        click(qtbot, page.test_button)
        core.webhooks.deliver_due()
        clock.shift(timedelta(seconds=10))  # tried again after its first wait
        core.webhooks.deliver_due()
        clock.shift(timedelta(hours=24))  # no answer for a day: given up, the endpoint turned off
        core.webhooks.deliver_due()
        click(qtbot, page.refresh_button)
        assert page.notice.isVisible() and receiver.url in page.notice.text() and "Turn on again" in page.notice.text()
        assert page.endpoints.item(0, 2).text().startswith("turned off")
        assert [page.log.item(r, 3).text() for r in range(page.log.rowCount())] == ["503 HTTP 503", "503 HTTP 503"]

        receiver.down = False
        page.endpoints.selectRow(0)
        click(qtbot, page.turn_on_button)
        assert not page.notice.isVisible() and page.endpoints.item(0, 2).text() == "on"
        page.endpoints.selectRow(0)
        click(qtbot, page.test_button)
        assert "queued" in page.result.text()
        core.webhooks.deliver_due()
        click(qtbot, page.refresh_button)
    assert receiver.types() == ["webhook.test"]  # verified with the published library
    assert page.log.item(0, 1).text() == "webhook.test" and page.log.item(0, 3).text() == "204"
    assert "(delivered)" in page.log.item(0, 5).text()
    page.endpoints.selectRow(0)
    click(qtbot, page.remove_button)
    assert page.endpoints.rowCount() == 0 and get_secret("webhook", "1") is None


def test_the_ratings_mailbox_is_saved_with_its_password_in_the_keychain(qtbot, core, settings):
    page = settings.show_page("ratings")
    qtbot.keyClicks(page.host, "imap.rosecity.example")
    assert settings.save() is False and "user name" in page.message.text()
    qtbot.keyClicks(page.username, "replies@rosecity.example")
    qtbot.keyClicks(page.password, "s3cret")
    assert settings.save() is True
    mailbox = core.ratings.mailbox()
    assert (mailbox.host, mailbox.port, mailbox.security, mailbox.folder) == ("imap.rosecity.example", 993, "ssl", "INBOX")
    assert get_secret("imap", "password") == "s3cret" and page.password.text() == ""
    assert page.password.placeholderText() == "saved; type to replace"
    assert "s3cret" not in " ".join(str(v) for row in core.db.query("SELECT * FROM settings") for v in tuple(row))
