"""`Cursors`: a page's cursors, made one by one when read, behaving as the list they replace."""

from __future__ import annotations

import pytest

from app.services.pages import Cursors


def test_cursors_are_made_on_first_read_and_read_like_a_list() -> None:
    made: list[int] = []

    def make(item: int) -> str:
        made.append(item)
        return f"after-{item}"

    cursors = Cursors([10, 20, 30], make)
    assert made == []
    assert len(cursors) == 3
    assert cursors[-1] == "after-30"
    assert made == [30]
    assert cursors[-1] == "after-30"
    assert made == [30]  # signed once
    assert cursors[0:2] == ["after-10", "after-20"]
    assert list(cursors) == ["after-10", "after-20", "after-30"]
    assert made == [30, 10, 20]
    with pytest.raises(IndexError):
        cursors[3]
    assert list(Cursors([], make)) == []
