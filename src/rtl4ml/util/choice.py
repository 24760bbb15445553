"""Enums whose values users type: parsed once at the edge, with an error listing them."""

from __future__ import annotations

import enum


class Choice(enum.Enum):
    """An enum parsed from user text; ``what`` names it in the error message."""

    @classmethod
    def parse(cls, value):
        if isinstance(value, cls):
            return value
        try:
            return cls(str(value).lower())
        except ValueError:
            accepted = ", ".join(m.value for m in cls)
            raise ValueError(f"unknown {cls.what()} {value!r}; accepted: {accepted}") from None

    @classmethod
    def what(cls) -> str:
        return cls.__name__.lower()
