"""What every GraphQL connection shares: PageInfo, and argument errors naming the argument."""

from __future__ import annotations

import strawberry
from graphql import GraphQLError
from strawberry.utils.str_converters import to_camel_case

from app.services.errors import ValidationFailed
from app.services.pages import MAX_PAGE_SIZE

__all__ = ["NodeBudget", "PageInfo", "argument_error"]


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


#: Where each listing service argument lives in a connection field's arguments.
_ARGUMENT_PATHS = {"limit": ["first"], "cursor": ["after"]}


def argument_error(exc: ValidationFailed) -> GraphQLError:
    """A listing service's refusal as a GraphQL error naming the argument (for any connection)."""
    problem = exc.errors[0]
    name = str(problem.path[0])
    path = _ARGUMENT_PATHS.get(name, ["filter", to_camel_case(name)])
    return GraphQLError(
        f"{'.'.join(path)} {problem.message}",
        extensions={"code": "BAD_USER_INPUT", "argument": path, "reason": problem.reason},
    )


class NodeBudget:
    """How many connection nodes one request may still ask for. Every connection field spends
    its `first` before it loads anything, so nested connections (the programs of a page, each
    with a page of participants, each with a page of history) cannot multiply into millions of
    nodes: past the budget they answer `QUERY_TOO_COSTLY` instead of loading."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.left = limit

    def spend(self, first: int | None) -> None:
        """Reserve `first` nodes (a `first` out of range is left to the listing to refuse)."""
        if first is None or not 1 <= first <= MAX_PAGE_SIZE:
            return
        if first > self.left:
            raise GraphQLError(
                f"This query asks for more than {self.limit} connection nodes in all; ask for "
                "smaller pages (first) or fewer nested connections.",
                extensions={"code": "QUERY_TOO_COSTLY", "maxNodes": self.limit},
            )
        self.left -= first
