"""The ``eventtype`` filter: QuakeML event types (with ``*``/``?`` wildcards) → ``origin.etype``,
and testban's ``screening`` filter (the event's screening outcome).

The one CSS3.0 ↔ QuakeML mapping is the bulletin module's
(:data:`testban.bulletin.ETYPES`), so an event selected as ``earthquake`` is also written
as an ``earthquake`` in QuakeML. Origins whose ``etype`` has no QuakeML type there (the
CSS3.0 null ``-`` or a code the mapping lacks) carry no event type; they are selected by
the value ``unknown`` (and by a ``*``).
"""

from __future__ import annotations

import re
from functools import lru_cache

import sqlalchemy as sa

from testban.bulletin import ETYPES
from testban.store import TABLES_SQL

#: The value selecting events without an event type.
UNKNOWN = "unknown"


@lru_cache(maxsize=1)
def quakeml_types() -> tuple[str, ...]:
    """Every QuakeML 1.2 event type (ObsPy's list), then :data:`UNKNOWN`."""
    from obspy.core.event.header import EventType

    return (*(str(t) for t in EventType), UNKNOWN)


def quakeml_type(etype: str | None) -> str:
    """The QuakeML event type of a CSS3.0 ``etype``; empty when it has none."""
    return ETYPES[etype][0] if etype in ETYPES else ""


def _pattern(term: str) -> re.Pattern[str]:
    parts = (".*" if c == "*" else "." if c == "?" else re.escape(c) for c in term)
    return re.compile("".join(parts), re.IGNORECASE)


def parse_eventtypes(text: str) -> tuple[str, ...]:
    """The QuakeML event types named by a comma-separated list of names or wildcards.

    Matching ignores case and surrounding spaces. Raises ``ValueError`` for an empty list
    or a term that matches no QuakeML event type (nor :data:`UNKNOWN`).
    """
    terms = [t.strip() for t in text.split(",")]
    if not any(terms):
        raise ValueError("empty list of event types")
    known = quakeml_types()
    found: dict[str, None] = {}
    for term in terms:
        if not term:
            raise ValueError(f"empty event type in {text!r}")
        rx = _pattern(term)
        hits = [t for t in known if rx.fullmatch(t)]
        if not hits:
            raise ValueError(f"{term!r} is no QuakeML event type (e.g. earthquake, explosion)")
        found.update(dict.fromkeys(hits))
    return tuple(found)


def etype_codes(types: tuple[str, ...]) -> tuple[list[str], bool]:
    """CSS3.0 ``etype`` codes of QuakeML ``types``, and whether untyped origins match."""
    wanted = set(types)
    return sorted(c for c, (q, _ims) in ETYPES.items() if q in wanted), UNKNOWN in wanted


def etype_condition(types: tuple[str, ...]) -> sa.ColumnElement[bool]:
    """SQL on ``origin``: its ``etype`` maps to one of QuakeML ``types``."""
    etype = TABLES_SQL["origin"].c.etype
    codes, untyped = etype_codes(types)
    conds: list[sa.ColumnElement[bool]] = []
    if codes:
        conds.append(etype.in_(codes))
    if untyped:
        conds.append(etype.not_in(sorted(ETYPES)))
    return sa.or_(*conds) if conds else sa.false()


#: Screening outcomes the ``screening`` parameter takes (spaces or none: ``screenedout``).
SCREENING_OUTCOMES = ("screened out", "not screened out", "not assessed")


def parse_screening(text: str) -> tuple[str, ...]:
    """Screening outcomes named by a comma-separated list (case and spaces ignored)."""
    by_key = {o.replace(" ", ""): o for o in SCREENING_OUTCOMES}
    found: dict[str, None] = {}
    for term in text.split(","):
        key = term.strip().lower().replace(" ", "").replace("_", "").replace("-", "")
        if key not in by_key:
            raise ValueError(f"{term.strip()!r} is no screening outcome; use one of "
                             f"{', '.join(SCREENING_OUTCOMES)}")  # fmt: skip
        found[by_key[key]] = None
    return tuple(found)


def screening_condition(outcomes: tuple[str, ...]) -> sa.ColumnElement[bool]:
    """SQL on ``origin``: the event's screening outcome is one of ``outcomes``; an origin
    never screened counts as "not assessed"."""
    o, s = TABLES_SQL["origin"], TABLES_SQL["screen"]
    rows = sa.select(s.c.orid).where(s.c.criterion == "event")
    conds: list[sa.ColumnElement[bool]] = [o.c.orid.in_(rows.where(s.c.outcome.in_(outcomes)))]
    if "not assessed" in outcomes:
        conds.append(o.c.orid.not_in(rows))
    return sa.or_(*conds)
