"""A carrier as the shop knows it: the account's own name, never its code ("sandbox:pedal", "own_fleet")."""
from __future__ import annotations

from typing import Mapping

_BUILT_IN = {"own_fleet": "Own van", "pickup": "Pickup at the shop"}


def carrier_label(code: str | None, names: Mapping[str, str]) -> str:
    """The account's name from `names` ({code: name}, the carrier_accounts table), else a readable form of the code
    ("sandbox:pedal" -> "Pedal"): a code is for the program, a user reads names."""
    if not code:
        return "—"
    if names.get(code):
        return names[code]
    if code in _BUILT_IN:
        return _BUILT_IN[code]
    return code.split(":")[-1].replace("_", " ").title()


def carrier_row_name(code: str, names: Mapping[str, str]) -> str:
    """A carrier as a row of a table keyed by it (scorecard, costs): the account's name, or the built-in way's;
    any other code stays as stored, so two carriers never merge under one made-up name."""
    return names.get(code) or _BUILT_IN.get(code) or code
