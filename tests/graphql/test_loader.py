"""`Loader`: primed values in a plain dict, with DataLoader's semantics kept."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from app.graphql.loader import NOT_HELD, Loader, held


def _loader(calls: list[list[str]]) -> Loader[str, str]:
    async def load(keys: list[str]) -> Sequence[str]:
        calls.append(keys)
        return [f"loaded {key}" for key in keys]

    return Loader(load_fn=load, max_batch_size=10)


async def test_primed_values_are_held_and_loaded_without_a_batch() -> None:
    calls: list[list[str]] = []
    loader = _loader(calls)
    loader.prime_many({"a": "A", "b": "B"})
    assert (held(loader, "a"), held(loader, "c")) == ("A", NOT_HELD)
    assert await loader.load("b") == "B"
    assert await loader.load("c") == "loaded c"
    assert held(loader, "c") == "loaded c"  # loaded ones are held too, as futures
    assert calls == [["c"]]


async def test_priming_keeps_what_is_held_unless_forced() -> None:
    loader = _loader([])
    loader.prime("a", "first")
    loader.prime("a", "second")
    assert held(loader, "a") == "first"
    await loader.load("b")
    loader.prime("b", "primed")
    assert held(loader, "b") == "loaded b"
    loader.prime("a", "forced", force=True)
    assert held(loader, "a") == "forced"
    assert await loader.load("a") == "forced"


async def test_cleared_keys_are_loaded_again() -> None:
    calls: list[list[str]] = []
    loader = _loader(calls)
    loader.prime("a", "A")
    await loader.load("b")
    loader.clear("a")
    loader.clear("b")
    loader.clear("never held")  # no error, unlike DataLoader's own
    assert (held(loader, "a"), held(loader, "b")) == (NOT_HELD, NOT_HELD)
    assert list(await asyncio.gather(loader.load("a"), loader.load("b"))) == [
        "loaded a",
        "loaded b",
    ]
    loader.clear_all()
    assert held(loader, "a") is NOT_HELD
    assert calls == [["b"], ["a", "b"]]


async def test_a_key_waiting_in_an_unsent_batch_is_answered_by_priming() -> None:
    calls: list[list[str]] = []
    loader = _loader(calls)
    waiting = loader.load("a")
    other = loader.load("b")
    loader.prime("a", "primed")
    assert list(await asyncio.gather(waiting, other)) == ["primed", "loaded b"]
    assert calls == [["b"]]


async def test_empty_while_it_holds_and_awaits_nothing() -> None:
    loader = _loader([])
    assert loader.empty
    waiting = loader.load("a")
    assert not loader.empty  # a key waits in the batch
    await waiting
    assert not loader.empty
    loader.clear_all()
    assert loader.empty
    loader.prime("b", "B")
    assert not loader.empty
