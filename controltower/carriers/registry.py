"""Adapters by carrier code: built-ins are imported lazily, others (sandbox, plug-ins) register themselves."""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Callable, Protocol, runtime_checkable

from ..domain.models import CarrierKind
from .base import AdapterConfig, CarrierAdapter, CredentialField


@runtime_checkable
class AdapterFactory(Protocol):
    """What the registry hands out: an adapter class, or a `RegisteredCarrier` shaped like one.

    Everyone reads a factory the same way: `name` and `kind` for the accounts list, `fields_for(code)`
    for what the user pastes, and a call with an `AdapterConfig` for a ready adapter.
    """

    name: str
    kind: CarrierKind

    def fields_for(self, code: str) -> tuple[CredentialField, ...]: ...

    def __call__(self, config: AdapterConfig) -> CarrierAdapter: ...


@dataclass(frozen=True)
class RegisteredCarrier:
    """A carrier made by a function rather than its own class (sandbox couriers, plug-ins)."""

    name: str
    kind: CarrierKind
    make: Callable[[AdapterConfig], CarrierAdapter]
    credential_fields: tuple[CredentialField, ...] = ()

    def fields_for(self, code: str) -> tuple[CredentialField, ...]:
        return self.credential_fields

    def __call__(self, config: AdapterConfig) -> CarrierAdapter:
        return self.make(config)


# Import paths, not classes: importing the registry must not import every carrier (karrio is heavy).
_BUILTIN: dict[str, str] = {
    "own_fleet": "controltower.carriers.own_fleet.client:OwnFleetAdapter",
    "pickup": "controltower.carriers.pickup.client:PickupAdapter",
    "easypost": "controltower.carriers.easypost.client:EasyPostAdapter",
    "shippo": "controltower.carriers.shippo.client:ShippoAdapter",
    "uber_direct": "controltower.carriers.uber_direct.client:UberDirectAdapter",
    "doordash": "controltower.carriers.doordash.client:DoorDashAdapter",
    "karrio": "controltower.carriers.karrio.client:KarrioAdapter",
}
# The karrio carriers wired and tested; any "karrio:<name>" in karrio/requests.py CARRIERS works.
KARRIO_CODES = ("karrio:ups", "karrio:usps")
_registered: dict[str, AdapterFactory] = {}


def register(code: str, factory: AdapterFactory) -> None:
    """Make `code` (or every `code:<name>` variant) create adapters with `factory`.

    A bare function is refused here, where the mistake is made, rather than later in the accounts list.
    """
    if not isinstance(factory, AdapterFactory):
        raise TypeError(f"register({code!r}, ...) needs an adapter class or a RegisteredCarrier "
                        f"(name, kind, fields_for), not {factory!r}")
    _registered[code] = factory


def unregister(code: str) -> None:
    _registered.pop(code, None)


def codes() -> list[str]:
    """Every carrier code that can be created, built-in first."""
    return list(_BUILTIN) + [c for c in _registered if c not in _BUILTIN]


def _family(code: str) -> str:
    # "sandbox:zippy" and "karrio:ups" belong to the "sandbox" and "karrio" families.
    return code.split(":", 1)[0]


def factory_for(code: str) -> AdapterFactory:
    for key in (code, _family(code)):
        if key in _registered:
            return _registered[key]
        if key in _BUILTIN:
            module_name, _, attr = _BUILTIN[key].partition(":")
            return getattr(importlib.import_module(module_name), attr)
    raise KeyError(f"no carrier adapter for {code!r}; known: {', '.join(codes())}")


def credential_fields(code: str) -> tuple[CredentialField, ...]:
    """What the settings dialog asks for the account `code`."""
    return factory_for(code).fields_for(code)


def create(config: AdapterConfig) -> CarrierAdapter:
    """A ready adapter for `config.code`."""
    return factory_for(config.code)(config)
