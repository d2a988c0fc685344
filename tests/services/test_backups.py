"""The File menu's backups through BackupService: a copy now, the daily one once a day, settings out and back in."""
from datetime import datetime, timezone

import pytest

from controltower.services.backups import BackupService, RestoreRefused


def test_a_backup_now_is_a_store_the_app_can_restore(store):
    service = BackupService(store)
    made = service.back_up_now()
    assert made.parent == store.path.parent / "backups"
    assert service.inspect(made).schema_version == store.schema_version


def test_the_daily_backup_is_made_once_a_day(store):
    service = BackupService(store)
    morning = datetime(2026, 11, 25, 8, 0, tzinfo=timezone.utc)
    assert service.daily_if_due(now=morning) is not None
    assert service.daily_if_due(now=morning.replace(hour=17)) is None


def test_settings_go_out_to_a_file_and_come_back(store, tmp_path):
    service = BackupService(store)
    store.set_setting("shop.name", "Corner Bikes")
    service.export_settings(tmp_path / "settings.json")
    store.set_setting("shop.name", "changed")
    assert service.import_settings(tmp_path / "settings.json") >= 1
    assert store.get_setting("shop.name") == "Corner Bikes"


def test_a_file_that_is_not_a_store_is_refused(store, tmp_path):
    junk = tmp_path / "junk.db"
    junk.write_text("not a database")
    with pytest.raises(RestoreRefused):
        BackupService(store).inspect(junk)
