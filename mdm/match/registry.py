"""Name -> function registries, so rule files can refer to code by name.

A new feature function or comparison-level kind is one function plus one
decorator line::

    @feature_functions.register("initials")
    def initials(s: pd.Series) -> pd.Series: ...

    @level_kinds.register("starts_with")
    def starts_with(left, right, threshold): ...
"""

from collections.abc import Callable
from typing import Any


class Registry:
    """A named collection of functions, looked up by name from YAML."""

    def __init__(self, what: str):
        self.what = what
        self._functions: dict[str, Callable[..., Any]] = {}

    def register(self, name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
            self._functions[name] = fn
            return fn

        return decorate

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
