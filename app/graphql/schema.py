"""The schema; `strawberry export-schema app.graphql.schema:schema` writes schema.graphql."""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import logging

import strawberry
from graphql import GraphQLError
from strawberry.extensions import MaskErrors, ParserCache
from strawberry.schema.types.base_scalars import DateTimeDefinition, DecimalDefinition
from strawberry.types import ExecutionContext

from app.core.formats import format_decimal, format_timestamp
from app.graphql.limits import DocumentLimits, DocumentRules, Limits
from app.graphql.participants import Mutation, Query
from app.services.errors import ServiceError

__all__ = ["DOCUMENT_CACHE_SIZE", "build_schema", "schema"]

logger = logging.getLogger("app.graphql")

#: Parsed and validated documents kept per process (LRU). Clients resend the same few documents
#: with new variables; re-validating one costs more than the database write it performs.
DOCUMENT_CACHE_SIZE = 256


def is_unexpected(error: GraphQLError) -> bool:
    """True for failures the caller did not cause: those are masked and logged, never shown."""
    original = error.original_error
    return original is not None and not isinstance(original, GraphQLError | ServiceError)


class Schema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        # Caller mistakes (syntax, validation, bad variables) are answered, not logged as failures.
        for error in errors:
            if is_unexpected(error):
                logger.error(
                    "GraphQL resolver failed at %s",
                    error.path,
                    exc_info=error.original_error,
                )


def build_schema(
    *, document_cache_size: int = DOCUMENT_CACHE_SIZE, limits: Limits | None = None
) -> Schema:
    rules = DocumentRules(limits or Limits(), cache_size=document_cache_size)
    return Schema(
        query=Query,
        mutation=Mutation,
        extensions=[
            lambda: DocumentLimits(rules),
            lambda: ParserCache(maxsize=document_cache_size),
            lambda: MaskErrors(should_mask_error=is_unexpected),
        ],
        scalar_overrides={
            datetime.datetime: dataclasses.replace(
                DateTimeDefinition,
                description="RFC 3339 timestamp, written in UTC (2024-01-15T10:30:00Z).",
                serialize=format_timestamp,
            ),
            decimal.Decimal: dataclasses.replace(
                DecimalDefinition,
                description='Exact decimal number, written as a string ("1500.00").',
                serialize=format_decimal,
            ),
        },
    )


schema = build_schema()
