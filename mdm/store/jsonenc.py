"""JSON for the store's JSON columns: orjson (several times faster than the
standard library on lineage-sized documents), and text that is already JSON
passes through, so a document written to several rows is encoded once."""

from __future__ import annotations

from typing import Any

import orjson

_OPTIONS = orjson.OPT_NON_STR_KEYS


class EncodedJSON(str):
    """A JSON document already encoded; stored as is."""

    __slots__ = ()


def encode(value: Any) -> EncodedJSON:
    return EncodedJSON(dumps(value))


def dumps(value: Any) -> str:
    """The engines' json_serializer."""
    if isinstance(value, EncodedJSON):
        return value
    return orjson.dumps(value, default=_default, option=_OPTIONS).decode()


def loads(text: str | bytes) -> Any:
    # orjson takes exact str only, not subclasses such as EncodedJSON.
    return orjson.loads(str(text) if isinstance(text, EncodedJSON) else text)


def _default(value: Any) -> Any:
    # numpy scalars and the like reach here from pandas frames.
    item = getattr(value, "item", None)
    if callable(item):
        return item()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")
