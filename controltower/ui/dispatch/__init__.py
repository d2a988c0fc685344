"""The Dispatch area: orders awaiting a decision, the comparison panel, bulk dispatch, new orders, printing."""
from .comparison import ComparisonPanel  # noqa: F401
from .failed import FailedDeliveriesPanel, ReturnDialog  # noqa: F401
from .new_order import NewOrderDialog  # noqa: F401
from .preferences import PreferencesDialog  # noqa: F401
from .shop_settings import ShopSettingsDialog  # noqa: F401
from .view import DispatchView  # noqa: F401
