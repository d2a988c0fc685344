"""Errors a user can see: each says what happened and what to do, in plain words."""
from __future__ import annotations


class UserFacingError(Exception):
    """Base for errors shown to the user; `advice` says what to do next."""

    def __init__(self, message: str, advice: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.advice = advice

    def __str__(self) -> str:
        return f"{self.message} {self.advice}".strip()


class InputError(UserFacingError):
    """Something the user typed or imported is not usable as it is."""


class NotFound(UserFacingError):
    """The thing asked for is not in the store."""
