"""ImportService: the wizard's saved mappings, and the news that an import saved orders."""
from controltower.kernel.events import EventHub
from controltower.imports import GENERIC, ImportReport
from controltower.services.imports import ImportService


def test_a_saved_mapping_is_offered_after_the_built_in_ones(store):
    from dataclasses import replace

    service = ImportService(store)
    service.save_profile(replace(GENERIC, name="till export"))
    assert service.profile_names()[-1] == "till export"
    assert service.load_profile("till export").name == "till export"


def test_windows_reload_only_when_an_import_saved_something(store):
    hub, heard = EventHub(), []
    hub.subscribe("orders.changed", lambda _topic, payload: heard.append(payload))
    service = ImportService(store, hub)
    service.imported(ImportReport(imported=0, updated=0, unchanged=4, rejected=1, rejected_orders=1, rows=5))
    assert heard == []
    service.imported(ImportReport(imported=2, updated=0, unchanged=0, rejected=0, rejected_orders=0, rows=2))
    assert heard == [{"ids": None}]
