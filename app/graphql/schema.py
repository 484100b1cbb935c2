"""The schema; `strawberry export-schema app.graphql.schema:schema` writes schema.graphql."""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import logging

import strawberry
from graphql import GraphQLError
from strawberry.extensions import MaskErrors
from strawberry.schema.types.base_scalars import DateTimeDefinition, DecimalDefinition
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext
from strawberry.types.base import StrawberryObjectDefinition

from app.core.db import is_unavailable
from app.core.formats import format_decimal, format_timestamp
from app.core.request_id import current_request_id
from app.graphql.assets import AssetMutation, AssetQuery
from app.graphql.awaitables import register_output_types
from app.graphql.context import ReleaseLoaders
from app.graphql.execution import QuickExecutionContext
from app.graphql.ledger import LedgerMutation, LedgerQuery
from app.graphql.limits import DocumentLimits, DocumentRules, Limits
from app.graphql.participant_writes import ParticipantWriteMutation
from app.graphql.participants import Mutation as ParticipantMutation
from app.graphql.participants import Query as ParticipantQuery
from app.graphql.programs import ProgramMutation, ProgramQuery
from app.graphql.tiers import TierMutation, TierQuery
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


def _is_unavailable(error: GraphQLError) -> bool:
    return error.original_error is not None and is_unavailable(error.original_error)


class Schema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        # Caller mistakes (syntax, validation, bad variables) are answered, not logged as failures.
        for error in errors:
            if _is_unavailable(error):
                logger.warning(
                    "database unavailable at %s: %s",
                    error.path,
                    type(error.original_error).__name__,
                )
            elif is_unexpected(error):
                logger.error(
                    "GraphQL resolver failed at %s",
                    error.path,
                    exc_info=error.original_error,
                )


class MaskUnexpected(MaskErrors):
    """Unexpected errors become "Unexpected error." with the request id to quote to support;
    an unavailable database becomes a retryable `SERVICE_UNAVAILABLE`."""

    def __init__(self) -> None:
        super().__init__(should_mask_error=is_unexpected)

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        if _is_unavailable(error):
            message = "The database is not available right now; retry shortly."
            extensions: dict[str, object] = {"code": "SERVICE_UNAVAILABLE"}
        else:
            message = self.error_message
            extensions = {"code": "INTERNAL_SERVER_ERROR", "requestId": current_request_id()}
        return GraphQLError(message, nodes=error.nodes, path=error.path, extensions=extensions)


Query = merge_types("Query", (ParticipantQuery, ProgramQuery, AssetQuery, TierQuery, LedgerQuery))
Mutation = merge_types(
    "Mutation",
    (
        ParticipantMutation,
        ParticipantWriteMutation,
        ProgramMutation,
        AssetMutation,
        TierMutation,
        LedgerMutation,
    ),
)


def build_schema(
    *, document_cache_size: int = DOCUMENT_CACHE_SIZE, limits: Limits | None = None
) -> Schema:
    rules = DocumentRules(limits or Limits(), cache_size=document_cache_size)
    built = Schema(
        query=Query,
        mutation=Mutation,
        execution_context_class=QuickExecutionContext,
        extensions=[
            lambda: DocumentLimits(rules),
            MaskUnexpected,
            ReleaseLoaders,
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
    register_output_types(
        definition.definition.origin
        for definition in built.schema_converter.type_map.values()
        if isinstance(definition.definition, StrawberryObjectDefinition)
        and not definition.definition.is_input
    )
    return built


schema = build_schema()
