"""Results as JSON-ready values (``--json``): a result's fields, in the order declared, each as JSON has it."""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
from collections.abc import Mapping
from pathlib import PurePath
from typing import Any

from xlcrm.messages.catalogue import Message


def json_value(value: object) -> Any:
    """``value`` as JSON has it: a path or a message as its text (in the current language), a date in ISO form, an
    enumeration's member as its value, a result with ``to_dict`` as that, a tuple or list as a list; the rest as is."""
    if isinstance(value, (PurePath, Message)):
        return str(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (tuple, list)):
        return [json_value(item) for item in value]
    if isinstance(value, Mapping):
        return {key: json_value(item) for key, item in value.items()}
    to_dict = getattr(value, "to_dict", None)
    return to_dict() if callable(to_dict) else value


class JsonFields:
    """For a dataclass whose JSON form is its fields as they are declared (names and order)."""

    def to_dict(self) -> dict[str, Any]:
        """The result as JSON-ready values, as ``--json`` prints it."""
        assert dataclasses.is_dataclass(self)
        return {field.name: json_value(getattr(self, field.name)) for field in dataclasses.fields(self)}
