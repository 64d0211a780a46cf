"""The error body: every refusal the gateway answers is `{"error": {"code": …, "message": …}}`
with one sentence, and a client reads refusals back through the same model."""

from __future__ import annotations

from typing import Any

from core.models.base import WireModel


class ErrorDetail(WireModel):
    code: str
    message: str


class ErrorBody(WireModel):
    error: ErrorDetail

    @classmethod
    def of(cls, code: str, message: str) -> ErrorBody:
        return cls(error=ErrorDetail(code=code, message=sentence(message)))


def sentence(text: str) -> str:
    text = " ".join(str(text).split()) or "The request was refused"
    return text if text.endswith((".", "?", "!")) else text + "."


def describe_validation(errors: list[Any]) -> str:
    """Pydantic's report as one sentence: where, what, and how many more problems."""
    if not errors:
        return "The request is not valid."
    first = errors[0]
    loc = [str(part) for part in first.get("loc", ())]
    kind = first.get("type", "")
    if kind == "json_invalid":
        return "The body is not valid JSON."
    where: str
    if loc and loc[0] == "body":
        where = ".".join(loc[1:])
        if not where and kind == "missing":
            return "The request needs a JSON body."
        where = f"body field {where}" if where else "the body"
    elif loc and loc[0] in ("query", "path", "header"):
        where = f"{loc[0]} parameter {'.'.join(loc[1:])}"
    else:
        where = ".".join(loc) or "the request"
    message = str(first.get("msg", "is not valid")).removeprefix("Value error, ")
    extra = len(errors) - 1
    more = f" (and {extra} more problem{'s' if extra > 1 else ''})" if extra else ""
    return f"{where}: {message}{more}."
