"""Frozen dataclasses saved between webhooks as compact JSON."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any, Self


class JsonRecord:
    """Mixin for a frozen dataclass kept in Redis as JSON: lists come back as tuples, unknown keys are
    dropped, and anything unreadable (a record from an older version) reads as None, never an error."""

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, separators=(",", ":"))  # type: ignore[call-overload]

    @classmethod
    def from_json(cls, raw: str | bytes | None) -> Self | None:
        if not raw:
            return None
        try:
            data: dict[str, Any] = json.loads(raw)
            fields = cls.__dataclass_fields__  # type: ignore[attr-defined]
            return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in data.items() if k in fields})
        except (ValueError, TypeError, AttributeError):
            return None  # start afresh rather than fail
