"""Money is integer minor units with a currency; no floats, no mixing currencies."""
import pytest

from controltower.domain import Money


def test_parse_and_format():
    assert Money.parse("12.50").amount_minor == 1250
    assert Money.parse("$1,299.99").format() == "$1,299.99"
    assert Money.parse("500", "JPY").format() == "¥500"
    assert Money.parse("0.005").amount_minor == 1  # half up


def test_arithmetic_stays_in_one_currency():
    assert (Money(100) + Money(250)).amount_minor == 350
    assert Money(999).scaled(0.5).amount_minor == 500
    with pytest.raises(ValueError):
        Money(100, "USD") + Money(100, "EUR")
    with pytest.raises(TypeError):
        Money(1.5)  # type: ignore[arg-type]
