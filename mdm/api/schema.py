"""The strawberry schema with its guards: depth, token and alias limits,
cached parsing and validation, and masking of internal errors."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import strawberry
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types
from strawberry.extensions import (
    AddValidationRules,
    MaskErrors,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    SchemaExtension,
    ValidationCache,
)

from mdm.api.errors import should_mask_error
from mdm.api.mutations import Mutation
from mdm.api.publishing import PublishingMutation, PublishingQuery
from mdm.api.queries import Query
from mdm.api.steward import StewardMutation, StewardQuery
from mdm.api.subscriptions import Subscription
from mdm.api.types import BIG_INT, BigInt

MAX_DEPTH = 10
MAX_TOKENS = 2000
MAX_ALIASES = 30
# Distinct documents kept parsed and validated; clients send few distinct ones.
DOCUMENT_CACHE = 512
# The limiters build a new rule class per instance, and extensions are built
# per request: that would defeat the validation cache, keyed on the rules.
# So their rules are built once and added by one stable extension.
LIMIT_RULES = (
    *QueryDepthLimiter(max_depth=MAX_DEPTH).validation_rules,
    *MaxAliasesLimiter(max_alias_count=MAX_ALIASES).validation_rules,
)


def build_schema(extensions: Sequence[Callable[[], SchemaExtension]] = ()) -> strawberry.Schema:
    return strawberry.Schema(
        query=merge_types("Query", (Query, StewardQuery, PublishingQuery)),
        mutation=merge_types("Mutation", (Mutation, StewardMutation, PublishingMutation)),
        subscription=Subscription,
        config=StrawberryConfig(scalar_map={BigInt: BIG_INT}),
        extensions=[
            lambda: AddValidationRules(list(LIMIT_RULES)),
            lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
            lambda: ParserCache(maxsize=DOCUMENT_CACHE),
            lambda: ValidationCache(maxsize=DOCUMENT_CACHE),
            *extensions,
            lambda: MaskErrors(should_mask_error=should_mask_error, error_message="Internal error."),
        ],
    )


schema = build_schema()


def sdl() -> str:
    """The schema as SDL, as kept in graphql/schema.graphql."""
    return str(schema) + "\n"
