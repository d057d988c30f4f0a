"""A value each worker keeps for the content version it was built at (search's snapshot of
names, facets and vocabulary): served while the version holds, built one at a time when it
moves, so the requests that arrive meanwhile wait for that one build instead of each making
their own. How to build it, whole or from the previous value, is the caller's."""

import threading
from collections.abc import Callable
from typing import Generic, Protocol, TypeVar


class VersionedValue(Protocol):
    @property
    def version(self) -> int: ...

    @property
    def stale(self) -> bool: ...


V = TypeVar("V", bound=VersionedValue)


class Versioned(Generic[V]):
    def __init__(self) -> None:
        self._current: V | None = None
        self._building = threading.Lock()

    def current(self, version: int) -> V | None:
        value = self._current
        if value is None or value.version != version or value.stale:
            return None
        return value

    def build(self, version: int, make: Callable[[V | None], V]) -> V:
        """The value for `version`: built here by `make(previous value)`, or by the request
        that was building it when this one arrived. Any other version replaces the value (the
        counter restarts when a database is restored)."""
        with self._building:
            ready = self.current(version)
            if ready is None:
                ready = self._current = make(self._current)
            return ready
