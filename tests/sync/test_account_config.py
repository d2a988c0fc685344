"""The adapter's settings for a carrier account: saved keys from the keychain, typed-but-unsaved ones taking precedence."""
from controltower.sync import accounts


def test_typed_keys_win_over_saved_ones_until_saved(store):
    accounts.save_account(store, "easypost", {"api_key": "EZTK_saved"}, enabled=True, settings={"label_format": "PDF"})
    saved = accounts.adapter_config(store, "easypost")
    assert (saved.code, saved.credentials["api_key"]) == ("easypost", "EZTK_saved")
    assert saved.settings["label_format"] == "PDF"

    typed = accounts.adapter_config(store, "easypost", typed={"api_key": "  EZTK_typed "}, settings={"label_format": "ZPL"})
    assert (typed.credentials["api_key"], typed.settings["label_format"]) == ("EZTK_typed", "ZPL")
    assert accounts.adapter_config(store, "easypost", typed={"api_key": "  "}).credentials["api_key"] == "EZTK_saved"
