"""What a GraphQL document may cost before anything runs: depth, aliases, tokens, introspection.

Each limit hit is a GraphQL error with a stable `extensions.code` and nothing is executed.
Validation results are cached (LRU) per document, as Strawberry's `ValidationCache` does, and
with introspection off the "Did you mean …?" hints are left out so they cannot leak field names.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable, Iterator
from dataclasses import dataclass
from typing import Any

from graphql import (
    ASTValidationRule,
    DocumentNode,
    GraphQLError,
    GraphQLSchema,
    ValidationContext,
    ValidationRule,
    validate,
)
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import SchemaExtension
from strawberry.extensions.max_aliases import create_validator as alias_rule
from strawberry.extensions.query_depth_limiter import create_validator as depth_rule
from strawberry.schema.validation_rules.maybe_null import MaybeNullValidationRule
from strawberry.schema.validation_rules.one_of import OneOfInputValidationRule

__all__ = ["TOKEN_LIMIT_CODE", "DocumentLimits", "DocumentRules", "Limits"]

TOKEN_LIMIT_CODE = "QUERY_TOO_LARGE"
_TOKEN_LIMIT_MESSAGE = "Document contains more than"  # graphql-core's parser, when max_tokens hit


@dataclass(frozen=True, slots=True)
class Limits:
    max_depth: int = 10
    max_aliases: int = 30
    max_tokens: int = 5000
    introspection: bool = True


class _Coding:
    """A ValidationContext that stamps an `extensions.code` on every error reported through it."""

    def __init__(self, context: ValidationContext, code: str) -> None:
        self._context = context
        self._code = code

    def report_error(self, error: GraphQLError) -> None:
        error.extensions = {**(error.extensions or {}), "code": self._code}
        self._context.report_error(error)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._context, name)


def _coded(rule: type[ValidationRule], code: str) -> type[ValidationRule]:
    class Coded(rule):  # type: ignore[valid-type, misc]
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(_Coding(context, code))

    Coded.__name__ = f"{rule.__name__}[{code}]"
    return Coded


def _rules(limits: Limits) -> tuple[type[ASTValidationRule], ...]:
    rules: list[type[ASTValidationRule]] = [
        _coded(depth_rule(limits.max_depth, None), "QUERY_TOO_DEEP"),
        _coded(alias_rule(limits.max_aliases), "TOO_MANY_ALIASES"),
        MaybeNullValidationRule,
        OneOfInputValidationRule,
    ]
    if not limits.introspection:
        rules.append(_coded(NoSchemaIntrospectionCustomRule, "INTROSPECTION_DISABLED"))
    return tuple(rules)


class DocumentRules:
    """The validation rules for `limits`, built once per schema, with an LRU cache of results.

    Results are keyed by the query's text, not by its parsed document: a graphql-core node
    hashes its whole tree on every lookup, which costs more than half a millisecond for an
    ordinary query. The same text always parses to the same document.
    """

    def __init__(self, limits: Limits, *, cache_size: int) -> None:
        self.limits = limits
        self._rules = _rules(limits)
        self._hide_suggestions = not limits.introspection
        self._cache_size = cache_size
        self._results: OrderedDict[Hashable, list[GraphQLError]] = OrderedDict()

    def validate(
        self,
        schema: GraphQLSchema,
        document: DocumentNode,
        extra: tuple[type[ASTValidationRule], ...],
        *,
        text: str | None,
    ) -> list[GraphQLError]:
        key = (text, extra)
        if text is not None and (known := self._results.get(key)) is not None:
            self._results.move_to_end(key)
            return known
        errors = validate(
            schema, document, (*extra, *self._rules), hide_suggestions=self._hide_suggestions
        )
        if text is not None and self._cache_size > 0:
            self._results[key] = errors
            if len(self._results) > self._cache_size:
                self._results.popitem(last=False)
        return errors


class DocumentLimits(SchemaExtension):
    """Parse with a token limit, then validate with `DocumentRules` (replaces ValidationCache)."""

    def __init__(self, rules: DocumentRules) -> None:
        super().__init__()
        self._rules = rules

    def on_operation(self) -> Iterator[None]:
        self.execution_context.parse_options["max_tokens"] = self._rules.limits.max_tokens
        try:
            yield
        except GraphQLError as error:  # ParserCache parses while its hook enters, so it lands here
            if _TOKEN_LIMIT_MESSAGE in error.message:
                error.extensions = {**(error.extensions or {}), "code": TOKEN_LIMIT_CODE}
            raise

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        assert context.graphql_document is not None
        context.pre_execution_errors = self._rules.validate(
            context.schema._schema,
            context.graphql_document,
            tuple(context.validation_rules),
            text=context.query,
        )
        yield
