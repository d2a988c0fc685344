"""Money as integer minor units with an ISO 4217 currency code."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

# Currencies whose minor unit is not 1/100 (ISO 4217 exponent).
_EXPONENTS = {"JPY": 0, "KRW": 0, "ISK": 0, "CLP": 0, "VND": 0, "BHD": 3, "KWD": 3, "OMR": 3, "JOD": 3, "TND": 3}
_SYMBOLS = {"USD": "$", "CAD": "CA$", "AUD": "A$", "GBP": "£", "EUR": "€", "JPY": "¥"}


def exponent(currency: str) -> int:
    return _EXPONENTS.get(currency.upper(), 2)


def unusual_exponents() -> dict[str, int]:
    """The currencies whose minor unit is not a hundredth (everything else has two decimals)."""
    return dict(_EXPONENTS)


@dataclass(frozen=True, order=True)
class Money:
    """An amount in minor units (cents, pence); arithmetic only within one currency."""

    amount_minor: int
    currency: str = "USD"

    def __post_init__(self) -> None:
        if not isinstance(self.amount_minor, int) or isinstance(self.amount_minor, bool):
            raise TypeError(f"amount_minor must be int, got {type(self.amount_minor).__name__}")
        if len(self.currency) != 3 or not self.currency.isalpha():
            raise ValueError(f"not an ISO currency code: {self.currency!r}")
        object.__setattr__(self, "currency", self.currency.upper())

    @classmethod
    def parse(cls, text: str | float | int | Decimal, currency: str = "USD") -> "Money":
        """Money from a human amount such as '12.50' or 12.5 (rounded half up to the minor unit)."""
        if isinstance(text, str):
            cleaned = text.strip().replace(",", "").lstrip("$£€¥").strip()
            if not cleaned:
                raise ValueError("empty amount")
            value = Decimal(cleaned)
        else:
            value = Decimal(str(text))
        scale = Decimal(10) ** exponent(currency)
        return cls(int((value * scale).quantize(Decimal(1), rounding=ROUND_HALF_UP)), currency)

    @classmethod
    def zero(cls, currency: str = "USD") -> "Money":
        return cls(0, currency)

    def _check(self, other: "Money") -> None:
        if not isinstance(other, Money):
            raise TypeError("can only combine Money with Money")
        if other.currency != self.currency:
            raise ValueError(f"currency mismatch: {self.currency} vs {other.currency}")

    def __add__(self, other: "Money") -> "Money":
        self._check(other)
        return Money(self.amount_minor + other.amount_minor, self.currency)

    def __sub__(self, other: "Money") -> "Money":
        self._check(other)
        return Money(self.amount_minor - other.amount_minor, self.currency)

    def __mul__(self, factor: int) -> "Money":
        if not isinstance(factor, int):
            raise TypeError("multiply Money by an int; round explicitly for fractions")
        return Money(self.amount_minor * factor, self.currency)

    def scaled(self, factor: float) -> "Money":
        """This amount times a fraction, rounded half up to the minor unit."""
        value = (Decimal(self.amount_minor) * Decimal(str(factor))).quantize(Decimal(1), rounding=ROUND_HALF_UP)
        return Money(int(value), self.currency)

    def converted(self, rate: Decimal | str, currency: str) -> "Money":
        """This amount in `currency` at `rate` (units of `currency` for one unit of this one), rounded half up."""
        return Money.parse(self.decimal * Decimal(str(rate)), currency)

    @property
    def decimal(self) -> Decimal:
        return Decimal(self.amount_minor) / (Decimal(10) ** exponent(self.currency))

    def format(self) -> str:
        digits = exponent(self.currency)
        symbol = _SYMBOLS.get(self.currency)
        number = f"{abs(self.decimal):,.{digits}f}"
        sign = "-" if self.amount_minor < 0 else ""
        return f"{sign}{symbol}{number}" if symbol else f"{sign}{number} {self.currency}"

    def __str__(self) -> str:
        return self.format()
