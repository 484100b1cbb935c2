"""What every GraphQL connection shares: PageInfo, and argument errors naming the argument."""

from __future__ import annotations

import strawberry
from graphql import GraphQLError
from strawberry.utils.str_converters import to_camel_case

from app.services.errors import ValidationFailed

__all__ = ["PageInfo", "argument_error"]


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
