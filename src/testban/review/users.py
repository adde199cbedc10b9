"""Users of the service: a name, a role and an argon2 password hash, kept in the store.

A user's name is the ``auth`` of every row the user writes as an analyst (CSS3.0's
``auth`` is 15 characters wide), so it may not be the author of an automatic run (an
analyst named like the pipeline would have their origins replaced by a re-run).
Passwords are hashed with argon2id (``argon2-cffi``, its default, salted parameters);
the plain password is never stored.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.orm import Session

from testban.store import atomic
from testban.store.schema import run_table, users_table

#: Roles, least to most allowed: a viewer reads (when reads need a login) and sees the
#: audit trail, an analyst also reviews events, an admin also manages users.
ROLES = ("viewer", "analyst", "admin")
#: Names the automatic pipeline writes under by default; never a user's name.
RESERVED = ("testban", "-")
NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,14}$")
#: Shortest password accepted.
MIN_PASSWORD = 8

_HASHER = PasswordHasher()
#: A hash verified when the name is unknown, so that a wrong name costs as long as a
#: wrong password (no timing oracle for names).
_DUMMY = _HASHER.hash("testban-no-such-user")


class UserError(ValueError):
    """A user that cannot be added or removed (bad name, role or password; unknown)."""


@dataclass(frozen=True, slots=True)
class User:
    """A user as the service sees it (no hash)."""

    name: str
    role: str
    created: float = 0.0

    def can(self, role: str) -> bool:
        """Whether this user has ``role`` or a higher one."""
        return ROLES.index(self.role) >= ROLES.index(role)


def _automatic_auths(session: Session) -> set[str]:
    return {a for (a,) in session.execute(sa.select(run_table.c.auth).distinct())}


def add_user(session: Session, name: str, role: str, password: str) -> User:
    """Add (or, for an existing name, replace the role and password of) a user."""
    if not NAME.match(name):
        raise UserError(
            f"bad user name {name!r}: a letter, then up to 14 letters, digits, '_', '.', '-'"
        )
    if name in RESERVED or name in _automatic_auths(session):
        raise UserError(f"{name!r} is the author of automatic runs; choose another name")
    if role not in ROLES:
        raise UserError(f"unknown role {role!r}; use one of {', '.join(ROLES)}")
    if len(password) < MIN_PASSWORD:
        raise UserError(f"the password needs at least {MIN_PASSWORD} characters")
    now = time.time()
    values = {"role": role, "hash": _HASHER.hash(password), "created": now}
    with atomic(session):
        found = session.execute(
            sa.update(users_table).where(users_table.c.name == name).values(**values)
        )
        if not getattr(found, "rowcount", 0):
            session.execute(sa.insert(users_table).values(name=name, **values))
    return User(name, role, now)


def remove_user(session: Session, name: str) -> None:
    """Remove a user (rows they wrote stay, under their name)."""
    with atomic(session):
        gone = session.execute(sa.delete(users_table).where(users_table.c.name == name))
    if not getattr(gone, "rowcount", 0):
        raise UserError(f"no user {name!r}")


def list_users(session: Session) -> list[User]:
    """Every user, by name."""
    rows = session.execute(
        sa.select(users_table.c.name, users_table.c.role, users_table.c.created).order_by(
            users_table.c.name
        )
    )
    return [User(n, r, c) for n, r, c in rows]


def get_user(session: Session, name: str) -> User | None:
    """The user called ``name``, or None."""
    row = session.execute(
        sa.select(users_table.c.name, users_table.c.role, users_table.c.created).where(
            users_table.c.name == name
        )
    ).first()
    return None if row is None else User(*row)


def authenticate(session: Session, name: str, password: str) -> User | None:
    """The user when ``password`` is theirs, else None (same cost either way)."""
    row = session.execute(
        sa.select(users_table.c.hash, users_table.c.role, users_table.c.created).where(
            users_table.c.name == name
        )
    ).first()
    try:
        _HASHER.verify(row[0] if row is not None else _DUMMY, password)
    except (VerificationError, InvalidHashError):
        return None
    return None if row is None else User(name, row[1], row[2])
