"""What every record model shares: the one codec from a Redis hash to a record.

A record declares its fields; each is read from the hash field of the same name (or its
`Field(validation_alias=…)`, where the hash names it differently) by the parser its type
calls for. An absent or empty value gives the field's default: a declared one, or else "",
0 or [] (and None for optional fields)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Self

from pydantic import BaseModel, ConfigDict
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from core.models.records import fields as f

# How a field of each type is read; the second item is the default for a plain (not optional)
# field that declares none.
PARSERS: dict[Any, tuple[Callable[[Any], Any], Any]] = {
    str: (f.text, ""),
    str | None: (f.opt_text, None),
    int: (f.opt_int, 0),
    int | None: (f.opt_int, None),
    float | None: (f.opt_float, None),
    bool: (f.flag, False),
    list[str]: (f.json_list, []),
}


def _read(info: FieldInfo, value: Any) -> Any:
    parse, zero = PARSERS[info.annotation]
    default = zero if info.default is PydanticUndefined else info.default
    found = parse(value)
    return default if found in (None, "", []) and default is not None else found


class Record(BaseModel):
    """A Redis hash decoded: snake_case, frozen, plain data (no wire aliases)."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    @classmethod
    def from_hash(cls, raw: f.RawHash) -> Self:
        h = f.named(raw)
        return cls.model_validate(
            {
                name: _read(info, h.get(str(info.validation_alias or name)))
                for name, info in cls.model_fields.items()
            }
        )
