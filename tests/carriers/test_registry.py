"""Every carrier the registry hands out is read the same way: a name, a kind, the keys to paste, and a call for an adapter."""
from __future__ import annotations

import pytest

from controltower.carriers import accounts, registry
from controltower.carriers.base import AdapterConfig
from controltower.demo.sandbox.adapters import register_sandbox, unregister_sandbox
from controltower.domain.models import CarrierKind


@pytest.fixture
def sandbox_registered():
    register_sandbox("http://127.0.0.1:9")  # nothing listens: only the registration is under test
    yield
    unregister_sandbox()


def test_sandbox_couriers_are_described_like_built_in_carriers(sandbox_registered):
    zippy = accounts.describe("sandbox:zippy")
    assert (zippy.title, zippy.kind, zippy.fields, zippy.known) == ("Sandbox couriers", CarrierKind.COURIER, (), True)
    easypost = accounts.describe("easypost")
    assert easypost.kind is CarrierKind.PARCEL and [f.name for f in easypost.fields] == ["api_key"]
    adapter = registry.create(AdapterConfig("sandbox:zippy"))
    assert adapter.code == "sandbox:zippy" and adapter.config.base_url == "http://127.0.0.1:9/v1"


def test_every_registered_code_has_a_name_kind_and_fields(sandbox_registered):
    families = {"karrio", "sandbox"}  # accounts are "karrio:ups", "sandbox:metro", never the bare family
    for code in [*(c for c in registry.codes() if c not in families), *registry.KARRIO_CODES, "sandbox:metro"]:
        try:
            factory = registry.factory_for(code)
        except ImportError:  # an optional extra (karrio) not installed
            continue
        assert isinstance(factory, registry.AdapterFactory), code
        assert factory.name and CarrierKind(factory.kind) and isinstance(factory.fields_for(code), tuple)


def test_a_bare_function_is_refused_where_it_is_registered():
    with pytest.raises(TypeError, match="RegisteredCarrier"):
        registry.register("plugin", lambda config: None)
    assert "plugin" not in registry.codes()


def test_an_unknown_code_still_has_a_title():
    assert accounts.describe("karrio:ups").title == "UPS (via karrio)"
    assert accounts.describe("nobody").known is False
