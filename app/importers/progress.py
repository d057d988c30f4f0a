"""Progress bars for long imports (tqdm, on stderr); silent when asked, e.g. in tests."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol

from tqdm import tqdm


class Progress(Protocol):
    def update(self, n: int = 1) -> object: ...


class _Silent:
    def update(self, n: int = 1) -> object:
        return None


@contextmanager
def progress(description: str, total: int | None, *, enabled: bool) -> Iterator[Progress]:
    if not enabled:
        yield _Silent()
        return
    with tqdm(total=total, desc=description, unit=" rows", unit_scale=True, mininterval=0.5) as bar:
        yield bar
