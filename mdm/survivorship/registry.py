"""Name -> function registries, so rule files can refer to code by name.

A new survivorship strategy or validation rule is one function plus one
decorator line; ``param`` is the type of its YAML parameter, checked when
the rules load::

    @strategies.register("source_priority", param=list[str])
    def source_priority(candidates, ctx, systems): ...

    @validators.register("one_of", param=list[Any])
    def one_of(value, allowed): ...
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import TypeAdapter

_NO_DEFAULT = object()


@dataclass(frozen=True)
class Entry:
    name: str
    fn: Callable[..., Any]
    param: TypeAdapter | None
    default: Any

    @property
    def takes_param(self) -> bool:
        return self.param is not None

    def parse_param(self, raw: Any) -> Any:
        """Validate a YAML parameter; raises ValueError naming what is wrong."""
        if self.param is None:
            if raw is not None:
                raise ValueError(f"{self.name!r} takes no parameter")
            return None
        if raw is None:
            if self.default is _NO_DEFAULT:
                raise ValueError(f"{self.name!r} needs a parameter")
            return self.default
        return self.param.validate_python(raw)


class Registry:
    """A named collection of functions, looked up by name from YAML."""

    def __init__(self, what: str):
        self.what = what
        self._entries: dict[str, Entry] = {}
        # Bumped on every registration, so callers can cache looked-up functions.
        self.version = 0

    def register(
        self, name: str, *, param: Any = None, default: Any = _NO_DEFAULT
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
            adapter = None if param is None else TypeAdapter(param)
            self._entries[name] = Entry(name, fn, adapter, default)
            self.version += 1
            return fn

        return decorate

    def __contains__(self, name: str) -> bool:
        return name in self._entries

    def __getitem__(self, name: str) -> Entry:
        try:
            return self._entries[name]
        except KeyError:
            raise KeyError(f"unknown {self.what} {name!r}; known: {', '.join(self.names())}") from None

    def names(self) -> list[str]:
        return sorted(self._entries)


strategies = Registry("survivorship strategy")
validators = Registry("validation rule")
