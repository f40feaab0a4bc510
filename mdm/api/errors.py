"""Errors the API shows its callers as they are; everything else is masked.

```python
raise NotFound(f"no customer {id}")      # -> {"message": ..., "extensions": {"code": "NOT_FOUND"}}
```
"""

from __future__ import annotations

from graphql import GraphQLError


class DomainError(Exception):
    """A failure the caller can act on; its message reaches the client."""

    code = "BAD_REQUEST"

    def __init__(self, message: str, **extensions: object) -> None:
        super().__init__(message)
        self.extensions = {"code": self.code, **extensions}


class NotFound(DomainError):
    code = "NOT_FOUND"


class Forbidden(DomainError):
    code = "FORBIDDEN"


class Unauthenticated(DomainError):
    code = "UNAUTHENTICATED"


class Conflict(DomainError):
    code = "CONFLICT"


def should_mask_error(error: GraphQLError) -> bool:
    """Mask internal errors; keep domain errors and the GraphQL engine's own
    (syntax, validation, limits), which carry no original exception."""
    original = error.original_error
    if original is None or isinstance(original, DomainError):
        return False
    # graphql-core wraps resolver-raised GraphQLErrors (e.g. scalar parsing).
    return not isinstance(original, GraphQLError)
