"""A DataLoader that keeps the values it is given (primed) in a plain dict.

Strawberry's DataLoader keeps every value as a resolved future. A page of 100 participants
primes ~500 values and reads them ~1,000 times, and each read of a future is four method calls
(`done`, `cancelled`, `exception`, `result`). Here primed values sit in `ready`, read with one
dict lookup; values the loader loads itself still go through its futures as usual.
"""

from __future__ import annotations

from asyncio import Future
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

from strawberry.dataloader import DataLoader, DefaultCache

__all__ = ["NOT_HELD", "Loader", "held"]

K = TypeVar("K")
T = TypeVar("T")

#: What `held` answers for a key whose value the loader does not hold (yet).
NOT_HELD: Any = object()


class Loader(DataLoader[K, T]):
    def __init__(
        self,
        load_fn: Callable[[list[K]], Awaitable[Sequence[T | BaseException]]],
        max_batch_size: int,
    ) -> None:
        super().__init__(load_fn=load_fn, max_batch_size=max_batch_size)
        #: Primed values by key (see the module's docstring).
        self.ready: dict[K, T] = {}
        #: `now_or_later(..., shared=True)`'s conversions: by (value's id, conversion), the
        #: value (kept alive, so its id is not reused) and what it was converted to.
        self.shown: dict[tuple[int, object], tuple[Any, Any]] = {}

    def load(self, key: K) -> Awaitable[T]:
        value = self.ready.get(key, NOT_HELD)
        if value is NOT_HELD:
            return super().load(key)
        future: Future[T] = self.loop.create_future()
        future.set_result(value)
        return future

    @property
    def empty(self) -> bool:
        """True while it holds no value and no key waits in a batch (a fresh loader)."""
        cache = self.cache_map
        return (
            not self.ready
            and isinstance(cache, DefaultCache)
            and not cache.cache_map
            and (self.batch is None or self.batch.dispatched)
        )

    def prime_many(self, data: Mapping[K, T], force: bool = False) -> None:
        if self.empty:  # everything is taken: no per-key checks (a page primes 100s of keys)
            self.ready.update(data)
            return
        taken = {
            key: value
            for key, value in data.items()
            if force or (key not in self.ready and self.cache_map.get(key) is None)
        }
        if self.batch is not None and not self.batch.dispatched:
            # Some keys may be waiting in a batch not sent yet: DataLoader answers those with
            # the primed values (and takes them out of the batch). What it caches besides is
            # shadowed by `ready`.
            super().prime_many(data, force)
        self.ready.update(taken)

    def clear(self, key: K) -> None:
        """Forget `key` (a no-op when not held; DataLoader's own raises)."""
        self.ready.pop(key, None)
        if self.cache_map.get(key) is not None:
            super().clear(key)

    def clear_many(self, keys: Iterable[K]) -> None:
        for key in keys:
            self.clear(key)

    def clear_all(self) -> None:
        self.ready.clear()
        self.shown.clear()
        super().clear_all()


def held(loader: DataLoader[K, T], key: K) -> T:
    """The value `loader` already holds for `key`, else `NOT_HELD`."""
    if isinstance(loader, Loader):
        value = loader.ready.get(key, NOT_HELD)
        if value is not NOT_HELD:
            return value  # type: ignore[no-any-return]
    future = loader.cache_map.get(key)
    if future is not None and future.done() and not future.cancelled() and not future.exception():
        return future.result()
    return NOT_HELD  # type: ignore[no-any-return]
