"""GraphQL answers Balance, Counter, ParticipantTier and a page's Participant nodes with the data
layer's rows: every field of each type must be readable off its row, by the same name."""

from __future__ import annotations

import pytest
from strawberry.types.base import get_object_definition

from app.crud import HeldBalance, HeldCounter, HeldTier, ParticipantRow
from app.graphql.types import Balance, Counter, Participant, ParticipantTier


@pytest.mark.parametrize(
    ("graphql_type", "row_type"),
    [
        (Balance, HeldBalance),
        (Counter, HeldCounter),
        (ParticipantTier, HeldTier),
        (Participant, ParticipantRow),
    ],
)
def test_every_field_is_an_attribute_of_the_row(graphql_type: type, row_type: type) -> None:
    definition = get_object_definition(graphql_type, strict=True)
    # Resolver fields (Balance.asset, ParticipantTier.program) read their row's id fields,
    # which are plain fields of the same types, so checked here too.
    plain = [field.python_name for field in definition.fields if field.base_resolver is None]
    assert plain
    missing = [name for name in plain if not hasattr(row_type, name)]
    assert missing == []
