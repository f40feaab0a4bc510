"""Name -> function registries, so rule files can refer to code by name.

A new feature function or comparison-level kind is one function plus one
decorator line::

    @feature_functions.register("initials")
    def initials(s: pd.Series) -> pd.Series: ...

    @level_kinds.register("starts_with")
    def starts_with(left, right, threshold): ...

A feature function may also name a ``scalar`` twin (``register("upper",
scalar=upper_values)``): the same feature on plain Python lists, one list per
input column with None for missing, returning one list. ``prepare`` uses it
for small frames, where pandas' per-operation overhead dominates; features
without a twin still work there (on Series).
"""

from collections.abc import Callable
from typing import Any


class Registry:
    """A named collection of functions, looked up by name from YAML."""

    def __init__(self, what: str):
        self.what = what
        self._functions: dict[str, Callable[..., Any]] = {}
        self._scalars: dict[str, Callable[..., Any]] = {}

    def register(self, name: str, scalar: Callable[..., Any] | None = None) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
            self._functions[name] = fn
            if scalar is not None:
                self._scalars[name] = scalar
            else:
                self._scalars.pop(name, None)
            return fn

        return decorate

    def scalar(self, name: str) -> Callable[..., Any] | None:
        """The plain-Python twin registered for ``name``, if any."""
        return self._scalars.get(name)

    def __contains__(self, name: str) -> bool:
        return name in self._functions

    def __getitem__(self, name: str) -> Callable[..., Any]:
        try:
            return self._functions[name]
        except KeyError:
            raise KeyError(f"unknown {self.what} {name!r}; known: {', '.join(self.names())}") from None

    def names(self) -> list[str]:
        return sorted(self._functions)


feature_functions = Registry("feature function")
level_kinds = Registry("comparison level kind")
