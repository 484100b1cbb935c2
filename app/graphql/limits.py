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
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
    ValidationRule,
    parse,
    validate,
)
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import SchemaExtension
from strawberry.extensions.max_aliases import create_validator as alias_rule
from strawberry.extensions.query_depth_limiter import create_validator as depth_rule
from strawberry.schema.validation_rules.maybe_null import MaybeNullValidationRule
from strawberry.schema.validation_rules.one_of import OneOfInputValidationRule

__all__ = ["TOKEN_LIMIT_CODE", "DocumentLimits", "DocumentRules", "Limits", "expanded_fields"]

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


#: Longer documents are parsed and validated every time rather than kept in the caches, so that
#: 256 cached entries cannot be 256 one-megabyte documents (comments cost no tokens).
CACHEABLE_TEXT = 20_000

#: Fields a document may expand to (fragments spread in place), per token it may hold.
_FIELDS_PER_TOKEN = 2


def expanded_fields(document: DocumentNode, limit: int) -> int:
    """How many fields the operations select once every fragment is spread in place.

    Each fragment is sized once (memoized), so this is linear in the document; counting stops
    early past `limit`. Cycles count as nothing here (validation reports them).
    """
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    sizes: dict[str, int] = {}

    def size(selection_set: SelectionSetNode | None, visiting: frozenset[str]) -> int:
        total = 0
        for selection in selection_set.selections if selection_set else ():
            if isinstance(selection, FieldNode):
                total += 1 + size(selection.selection_set, visiting)
            elif isinstance(selection, InlineFragmentNode):
                total += size(selection.selection_set, visiting)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                if name not in sizes:
                    fragment = fragments.get(name)
                    if fragment is None or name in visiting:
                        continue
                    sizes[name] = size(fragment.selection_set, visiting | {name})
                total += sizes[name]
            if total > limit:
                return total
        return total

    total = 0
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            total += size(definition.selection_set, frozenset())
    return total


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
        self._documents: OrderedDict[str, DocumentNode] = OrderedDict()

    def parse(self, text: str) -> DocumentNode:
        """`text` parsed (within the token limit); short documents come from an LRU cache."""
        if len(text) > CACHEABLE_TEXT:
            return parse(text, max_tokens=self.limits.max_tokens)
        document = self._documents.get(text)
        if document is None:
            document = parse(text, max_tokens=self.limits.max_tokens)
            self._documents[text] = document
            if len(self._documents) > self._cache_size:
                self._documents.popitem(last=False)
        else:
            self._documents.move_to_end(text)
        return document

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
        limit = self.limits.max_tokens * _FIELDS_PER_TOKEN
        if expanded_fields(document, limit) > limit:
            # Checked before the other rules: the depth and alias rules walk each fragment
            # again wherever it is spread, so nested fragments would cost them 2^n.
            errors = [
                GraphQLError(
                    f"The document expands to more than {limit} fields.",
                    extensions={"code": TOKEN_LIMIT_CODE},
                )
            ]
        else:
            errors = validate(
                schema, document, (*extra, *self._rules), hide_suggestions=self._hide_suggestions
            )
        if text is not None and len(text) <= CACHEABLE_TEXT and self._cache_size > 0:
            self._results[key] = errors
            if len(self._results) > self._cache_size:
                self._results.popitem(last=False)
        return errors


class DocumentLimits(SchemaExtension):
    """Parse (cached) with a token limit, then validate with `DocumentRules` (cached): replaces
    Strawberry's ParserCache and ValidationCache."""

    def __init__(self, rules: DocumentRules) -> None:
        super().__init__()
        self._rules = rules

    def on_operation(self) -> Iterator[None]:
        try:
            yield
        except GraphQLError as error:  # on_parse parses while its hook enters, so it lands here
            if _TOKEN_LIMIT_MESSAGE in error.message:
                error.extensions = {**(error.extensions or {}), "code": TOKEN_LIMIT_CODE}
            raise

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        if context.graphql_document is None and context.query is not None:
            context.graphql_document = self._rules.parse(context.query)
        yield

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
