"""API keys: made, shown once, stored as a hash, checked in constant time.

A key reads `cck_<prefix>_<secret>`. The prefix (not secret) finds the row; the stored value
is the SHA-256 of the whole key. The secret is 32 random bytes, so a plain hash is as strong as
a slow one here (nothing to guess), and checking costs microseconds per request."""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from app.core.credentials import REALM
from app.core.errors import InsufficientScope, Unauthorized
from app.core.schemas import comma_separated
from app.models import ApiKey
from app.models.base import utcnow

KEY_TAG = "cck"


class Scope(StrEnum):
    """Each scope includes the ones before it: write can read, admin can write."""

    READ = "read"
    WRITE = "write"
    ADMIN = "admin"


SCOPE_ORDER = {Scope.READ: 0, Scope.WRITE: 1, Scope.ADMIN: 2}
LAST_USED_EVERY = timedelta(minutes=1)  # last_used_at is written at most this often


class KeyProblem(Exception):
    """A key that cannot be created or revoked, with the reason."""


def parse_scopes(text: str) -> list[Scope]:
    names = comma_separated(text)
    unknown = [name for name in names if name not in Scope._value2member_map_]
    if unknown or not names:
        valid = ", ".join(scope.value for scope in Scope)
        raise KeyProblem(f"scopes must be some of {valid}; got {text!r}")
    return [Scope(name) for name in names]


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@dataclass(frozen=True)
class NewKey:
    name: str
    key: str  # shown once
    scopes: list[str]
    expires_at: datetime | None


def create(
    session: Session, name: str, scopes: list[Scope], expires_in: timedelta | None = None
) -> NewKey:
    if session.scalar(select(ApiKey.id).where(ApiKey.name == name)) is not None:
        raise KeyProblem(f"a key named {name!r} exists already")
    prefix = secrets.token_hex(6)
    key = f"{KEY_TAG}_{prefix}_{secrets.token_urlsafe(32)}"
    expires_at = utcnow() + expires_in if expires_in else None
    values = sorted({scope.value for scope in scopes}, key=lambda s: SCOPE_ORDER[Scope(s)])
    session.add(
        ApiKey(
            name=name,
            prefix=prefix,
            secret_hash=_hash(key),
            scopes=values,
            expires_at=expires_at,
        )
    )
    session.flush()
    return NewKey(name, key, values, expires_at)


def revoke(session: Session, name: str) -> None:
    row = session.scalar(select(ApiKey).where(ApiKey.name == name))
    if row is None:
        raise KeyProblem(f"no key is named {name!r}")
    if row.revoked_at is None:
        row.revoked_at = utcnow()


def listing(session: Session) -> list[ApiKey]:
    return list(session.scalars(select(ApiKey).order_by(ApiKey.name)))


@dataclass(frozen=True)
class Caller:
    key_name: str
    scopes: frozenset[str]
    key_id: int = 0
    use_to_record: bool = False  # last_used_at is older than LAST_USED_EVERY

    def may(self, scope: Scope) -> bool:
        return any(SCOPE_ORDER[Scope(held)] >= SCOPE_ORDER[scope] for held in self.scopes)


def verify(session: Session, key: str) -> Caller | None:
    """The caller a key stands for, or None if it is unknown, wrong, expired or revoked. Reads
    only: `record_use` writes last_used_at apart (see `authenticate`)."""
    parts = key.split("_", 2)  # the secret may hold underscores itself
    if len(parts) != 3 or parts[0] != KEY_TAG or not parts[1] or len(parts[1]) > 16:
        return None
    row = session.scalar(select(ApiKey).where(ApiKey.prefix == parts[1]))
    # Compare even when no row matched, so timing does not tell a known prefix apart.
    expected = row.secret_hash if row is not None else "0" * 64
    if not hmac.compare_digest(expected, _hash(key)) or row is None:
        return None
    now = utcnow()
    if row.revoked_at is not None or (row.expires_at is not None and row.expires_at <= now):
        return None
    stale = row.last_used_at is None or now - row.last_used_at >= LAST_USED_EVERY
    return Caller(row.name, frozenset(row.scopes), row.id, stale)


def authenticate(factory: sessionmaker[Session], key: str) -> Caller | None:
    """`verify`, then (at most once a minute per key) last_used_at written in a transaction
    of its own whose first statement is the write. On SQLite a transaction that read first
    could not take the write lock once another connection had written since; this one waits
    for it (busy timeout) instead of failing."""
    with factory() as session:
        caller = verify(session, key)
    if caller is not None and caller.use_to_record:
        with factory() as session, session.begin():
            session.execute(
                update(ApiKey).where(ApiKey.id == caller.key_id).values(last_used_at=utcnow())
            )
    return caller


def authorized(caller: "Caller | None", key: str | None, scope: Scope, missing: str) -> "Caller":
    """The caller, when the key it presented (`key`, found as `caller`) has `scope`; else the
    401 (`missing` says how to send a key) or 403 to answer."""
    if key is None:
        raise Unauthorized(missing, headers={"WWW-Authenticate": REALM})
    if caller is None:
        raise Unauthorized(
            "This key is unknown, expired or revoked.",
            headers={"WWW-Authenticate": f'{REALM}, error="invalid_token"'},
        )
    if not caller.may(scope):
        raise InsufficientScope(
            f"The key {caller.key_name!r} has no {scope.value} scope.", required_scope=scope.value
        )
    return caller
