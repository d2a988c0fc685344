"""Untrusted text (order, customer, vehicle, carrier names, carriers' messages) shown by Qt as typed, never as rich text."""
from __future__ import annotations

from PySide6.QtGui import Qt

from ..domain.carriers import carrier_label


def plain_tooltip(text: str | None) -> str | None:
    """A tooltip that shows `text` as written. Qt renders any tooltip that looks like markup ("<b>Van</b>", an
    <img>) as rich text and has no plain-text switch for tooltips, so such text goes in escaped, as rich text;
    other text is left as it is (and wraps as plain tooltips do)."""
    if text and Qt.mightBeRichText(text):
        return Qt.convertFromPlainText(text, Qt.WhiteSpaceMode.WhiteSpaceNormal)
    return text


def carrier_text(code: str | None, names: dict[str, str]) -> str:
    """A carrier as the shop knows it: the account's own name ("Zippy Express (sandbox)"), never its code."""
    return carrier_label(code, names)
