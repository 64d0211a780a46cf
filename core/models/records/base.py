"""What every record model shares: the one codec from a Redis hash to a record.

A record declares its fields; each is read from the hash field of the same name (or its
`Field(validation_alias=…)`, where the hash names it differently) by the parser its type
calls for. An absent or empty value gives the field's default: a declared one, or else "",
0 or [] (and None for optional fields)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar, Self, cast

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


# One field's reading: its name, the hash field it is read from, its parser and its default.
Plan = tuple[tuple[str, str, Callable[[Any], Any], Any], ...]


def _plan(fields: dict[str, FieldInfo]) -> Plan:
    steps = []
    for name, info in fields.items():
        parse, zero = PARSERS[info.annotation]
        default = zero if info.default is PydanticUndefined else info.default
        steps.append((name, str(info.validation_alias or name), parse, default))
    return tuple(steps)


class Record(BaseModel):
    """A Redis hash decoded: snake_case, frozen, plain data (no wire aliases)."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)
    _plan: ClassVar[Plan] = ()

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        cls._plan = _plan(cls.model_fields)

    @classmethod
    def from_hash(cls, raw: f.RawHash) -> Self:
        h = f.named(raw)
        values = {}
        for name, key, parse, default in cls._plan:
            found = parse(h.get(key))
            if found in (None, "", []) and default is not None:
                found = list(default) if isinstance(default, list) else default
            values[name] = found
        # Each parser gives its field's type, so the values need no second validation (a
        # poll decodes hundreds of rows).
        return cast(Self, cls.model_construct(**values))
