"""Analyst review: new origin versions, an audit trail, users, the reviewed bulletin.

>>> from testban.review import review, audit_trail, reviewed_bulletin
>>> done = review(store, "alice", "reject", evid=12, reason="noise burst")  # doctest: +SKIP
>>> done.orid                                    # the new version's orid      # doctest: +SKIP
>>> with store.session() as s:                                              # doctest: +SKIP
...     trail = audit_trail(s, evid=12)
...     leb = reviewed_bulletin(s)

Pure actions are in :mod:`testban.review.actions`, their store side in
:mod:`testban.review.apply`, users (argon2 hashes, roles) in :mod:`testban.review.users`.
"""

from testban.review.actions import REJECTED, Change, EventVersion, ReviewError
from testban.review.apply import (
    ACTIONS,
    AuditRow,
    Conflict,
    Done,
    NotFound,
    audit_trail,
    load_version,
    preferred_orid,
    review,
    stations_of,
)
from testban.review.bulletin import (
    REVIEWED_CATALOG,
    automatic_bulletin,
    reviewed_bulletin,
    reviewed_condition,
    reviewed_orids,
    write_reviewed,
)
from testban.review.users import (
    ROLES,
    User,
    UserError,
    add_user,
    authenticate,
    get_user,
    list_users,
    remove_user,
)

__all__ = [
    "ACTIONS",
    "REJECTED",
    "REVIEWED_CATALOG",
    "ROLES",
    "AuditRow",
    "Change",
    "Conflict",
    "Done",
    "EventVersion",
    "NotFound",
    "ReviewError",
    "User",
    "UserError",
    "add_user",
    "audit_trail",
    "authenticate",
    "automatic_bulletin",
    "get_user",
    "list_users",
    "load_version",
    "preferred_orid",
    "remove_user",
    "review",
    "reviewed_bulletin",
    "reviewed_condition",
    "reviewed_orids",
    "stations_of",
    "write_reviewed",
]
