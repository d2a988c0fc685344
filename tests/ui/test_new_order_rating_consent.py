"""The New order dialog records the customer's yes to "How did we do?" with the order (their phone and email), and
nothing when the box is left empty."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from test_new_order_zones import service  # noqa: F401  (the Portland shop with one van, a fixture)

from controltower.services.ratings import RatingsService
from controltower.ui.dispatch import NewOrderDialog

MONDAY_10 = datetime(2026, 12, 7, 10, 0, tzinfo=ZoneInfo("America/Los_Angeles"))


def fill_and_save(qtbot, service, ref: str, *, consent: bool) -> NewOrderDialog:
    dialog = NewOrderDialog(service, clock=lambda: MONDAY_10, ratings=RatingsService(service.db))
    qtbot.addWidget(dialog)
    dialog.order_ref.setText(ref)
    dialog.customer.setText("Ann Lee")
    dialog.phone.setText("(503) 555-0142")
    dialog.email.setText("ann@example.com")
    dialog.street.setText("3000 SE Division St")
    dialog.postcode.setText("97214")
    dialog.position.setText("45.5049, -122.6322")
    assert dialog.rating_consent.isVisibleTo(dialog)
    dialog.rating_consent.setChecked(consent)
    dialog.update_options()
    dialog.options.setCurrentRow(next(i for i, offer in enumerate(dialog.offers) if offer.available))
    with qtbot.waitSignal(dialog.accepted, timeout=2000):
        dialog.save()
    return dialog


def test_the_customers_yes_is_recorded_on_both_channels(qtbot, service):
    dialog = fill_and_save(qtbot, service, "PH-1", consent=True)
    ratings = RatingsService(service.db)
    assert ratings.has_consent("sms", "+15035550142") and ratings.has_consent("email", "ann@example.com")
    actions = [row[0] for row in service.db.query("SELECT action FROM audit_log WHERE entity = 'order' AND entity_id = ?",
                                                  (str(dialog.created_id),))]
    assert "rating.consent" in actions


def test_an_empty_box_records_nothing(qtbot, service):
    fill_and_save(qtbot, service, "PH-2", consent=False)
    assert not RatingsService(service.db).has_consent("email", "ann@example.com")
