"""The GraphQL API: starlette app, strawberry schema, API-key auth."""

from mdm.api.app import create_app, create_app_from_env
from mdm.api.auth import require_role
from mdm.api.errors import Conflict, DomainError, Forbidden, NotFound
from mdm.api.keys import ROLES, create_demo_keys, create_key
from mdm.api.schema import build_schema, schema

__all__ = [
    "ROLES",
    "Conflict",
    "DomainError",
    "Forbidden",
    "NotFound",
    "build_schema",
    "create_app",
    "create_app_from_env",
    "create_demo_keys",
    "create_key",
    "require_role",
    "schema",
]
