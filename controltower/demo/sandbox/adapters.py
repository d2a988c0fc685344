"""The sandbox's couriers as carriers: the real Uber Direct adapter pointed at the local network, one per company."""
from __future__ import annotations

from ...carriers.base import AdapterConfig, CarrierAdapter
from ...carriers.registry import RegisteredCarrier, register, unregister
from ...domain.models import CarrierKind
from .couriers import COMPANIES

FAMILY = "sandbox"


def carrier_code(company: str) -> str:
    """The carrier code shipments use for a sandbox company, e.g. 'sandbox:zippy'."""
    return f"{FAMILY}:{company}"


def sandbox_config(base_url: str, company: str, *, timeout_s: float = 10.0) -> AdapterConfig:
    """How the Uber Direct adapter reaches one sandbox company; `base_url` is SandboxNetwork.start()'s answer."""
    base_url = base_url.rstrip("/")
    return AdapterConfig(
        code=carrier_code(company),
        credentials={"customer_id": company, "client_id": "sandbox", "client_secret": "sandbox"},
        settings={"auth_url": base_url + "/oauth/v2/token", "requests_per_minute": 0},  # our own local server: no budget
        base_url=base_url + "/v1", timeout_s=timeout_s, name=COMPANIES[company].name + " (sandbox)",
    )


def sandbox_adapter(config: AdapterConfig) -> CarrierAdapter:
    from ...carriers.uber_direct.client import UberDirectAdapter  # the real adapter: demo mode runs real code

    return UberDirectAdapter(config)


def sandbox_adapters(base_url: str, companies: list[str] | None = None, *, timeout_s: float = 10.0) -> dict[str, CarrierAdapter]:
    """{carrier code: adapter} for every sandbox company, ready for SyncEngine."""
    return {carrier_code(c): sandbox_adapter(sandbox_config(base_url, c, timeout_s=timeout_s))
            for c in (companies or list(COMPANIES))}


def register_sandbox(base_url: str, *, timeout_s: float = 10.0) -> None:
    """Let the registry create 'sandbox:<company>' adapters (demo mode), e.g. registry.create(config).

    Registered like any carrier (name, kind, no keys to paste), so the accounts list reads it as it reads the others.
    """
    def make(config: AdapterConfig) -> CarrierAdapter:
        return sandbox_adapter(sandbox_config(base_url, config.code.split(":", 1)[1], timeout_s=timeout_s))

    register(FAMILY, RegisteredCarrier("Sandbox couriers", CarrierKind.COURIER, make))


def unregister_sandbox() -> None:
    unregister(FAMILY)
