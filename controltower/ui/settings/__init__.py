"""Settings dialogs; `CarrierSettingsDialog` holds carrier accounts (keys in the keychain, never in the store)."""
from .carrier_accounts import CarrierSettingsDialog

__all__ = ["CarrierSettingsDialog"]
