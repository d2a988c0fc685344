"""The sandbox courier network: a local Uber Direct-shaped API with several courier companies and injected faults."""
from .clock import SimClock  # noqa: F401
from .couriers import COMPANIES, CourierCompany  # noqa: F401
from .faults import FAULT_KINDS, Faults  # noqa: F401
from .server import SandboxNetwork  # noqa: F401
from .world import World  # noqa: F401
from .adapters import carrier_code, register_sandbox, sandbox_adapters, sandbox_config  # noqa: F401
