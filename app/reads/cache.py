"""A bounded in-process cache of serialized responses.

Keys carry the record's id and revision, and every write or import raises the revision in the
same transaction as the change, so a changed record is never served from here: its new key
misses, and the stale entry ages out. Nothing needs to reach other workers or machines to
invalidate it."""

import threading
from collections.abc import Hashable
from contextlib import suppress

from cachetools import LRUCache

from app.core.conditional import Rendered

ENTRY_OVERHEAD = 200  # bytes of bookkeeping per entry, so tiny bodies still count


class ResponseCache:
    def __init__(self, max_bytes: int) -> None:
        self._entries: LRUCache[Hashable, Rendered] = LRUCache(
            maxsize=max(max_bytes, 1), getsizeof=lambda entry: len(entry.body) + ENTRY_OVERHEAD
        )
        self._lock = threading.Lock()  # for callers on the thread pool; uncontended otherwise
        self.enabled = max_bytes > 0
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable) -> Rendered | None:
        if not self.enabled:
            return None
        with self._lock:
            entry = self._entries.get(key)
        if entry is None:
            self.misses += 1
        else:
            self.hits += 1
        return entry

    def put(self, key: Hashable, entry: Rendered) -> None:
        if self.enabled:
            # suppress: an entry larger than the whole cache is served, not kept.
            with self._lock, suppress(ValueError):
                self._entries[key] = entry

    def discard(self, key: Hashable) -> None:
        with self._lock:
            self._entries.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
