"""Radionuclide samples in the store: a sample's GARDS rows replaced as one.

A sample is one ``gards_sample_data`` row and the rows of its results (peaks, nuclides,
lines, categorisation, xenon concentrations) keyed by its ``sample_id``. A sample is known
again by its natural key (station, detector, data type, spectral qualifier, acquisition
start): re-loading the same spectrum reuses its ``sample_id`` and replaces its rows in one
transaction, so that loading a file twice never duplicates anything.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterable, Mapping
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from testban.io.spectra.model import Spectrum
from testban.records.css30 import NA_STR, NA_TIME, Record
from testban.records.gards import SAMPLE_CHILDREN, GardsAirConc, GardsSampleData
from testban.store.db import StoreError, _delete, _insert, _transaction, next_ids, read_rows
from testban.store.schema import TABLES_SQL

__all__ = [
    "find_sample",
    "read_sample",
    "sample_data_row",
    "store_air_concentrations",
    "store_sample",
]

#: Columns that identify a sample (a spectrum re-read from the same file has them all).
NATURAL_KEY = ("sta", "detector", "data_type", "spectral_qualifier", "acquisition_start")


def _time(t: float | None) -> float:
    return NA_TIME if t is None else float(t)


def _num(x: float | None, na: float = -1.0) -> float:
    return na if x is None else float(x)


def sample_data_row(
    spectrum: Spectrum, *, path: str | os.PathLike[str] | None = None, auth: str = "testban"
) -> GardsSampleData:
    """The ``gards_sample_data`` row of ``spectrum`` (``sample_id`` left to the store).

    ``quantity`` is the sampled air volume (m³) when known, else the sample quantity.
    """
    qty, qunit = -1.0, NA_STR
    if spectrum.air_volume is not None:
        qty, qunit = float(spectrum.air_volume), "m3"
    elif spectrum.quantity is not None:
        qty, qunit = float(spectrum.quantity[0]), spectrum.quantity[1][:4] or NA_STR
    src = Path(path) if path is not None else Path(spectrum.source.split(":")[0] or "-")
    return GardsSampleData(
        sta=(spectrum.station or NA_STR)[:6],
        detector=(spectrum.detector or NA_STR)[:12],
        data_type=(spectrum.data_type or "SPECTRUM")[:10],
        spectral_qualifier=(spectrum.qualifier or NA_STR)[:4],
        srid=(spectrum.sample_id or NA_STR)[:32],
        collect_start=_time(spectrum.collection_start),
        collect_stop=_time(spectrum.collection_stop),
        acquisition_start=_time(spectrum.acquisition_start),
        acquisition_real_sec=_num(spectrum.real_time),
        acquisition_live_sec=_num(spectrum.live_time),
        quantity=qty,
        qunit=qunit,
        nchan=spectrum.n_channels,
        dir=str(src.parent)[-64:] or ".",
        dfile=src.name[-64:] or NA_STR,
        auth=auth,
    )


def find_sample(session: Session, sample: GardsSampleData) -> int | None:
    """The ``sample_id`` of the stored sample with the natural key of ``sample``, if any."""
    t = TABLES_SQL["gards_sample_data"]
    where = sa.and_(*(t.c[k] == getattr(sample, k) for k in NATURAL_KEY))
    found = session.scalars(sa.select(t.c.sample_id).where(where).order_by(t.c.sample_id))
    first = found.first()
    return None if first is None else int(first)


def store_sample(
    session: Session,
    sample: GardsSampleData,
    tables: Mapping[str, Iterable[Record]] | None = None,
    *,
    replace: bool = True,
) -> int:
    """Write one sample and its result rows in one transaction; returns its ``sample_id``.

    ``tables`` maps GARDS tables keyed by sample (``gards_peaks``, ``gards_nucl_ided`` …)
    to their rows; every row is written with the sample's id. With ``replace`` a sample
    already stored (same ``sample_id`` when ``sample`` has one, else same natural key)
    keeps its id and all its rows are replaced; without it such a sample is an error.
    """
    tables = dict(tables or {})
    for name in tables:
        if name not in SAMPLE_CHILDREN:
            raise StoreError(f"{name!r} is not a table of a sample; use one of {SAMPLE_CHILDREN}")
    with _transaction(session):
        sid = sample.sample_id if sample.sample_id > 0 else find_sample(session, sample)
        exists = sid is not None and _has(session, sid)
        if exists and not replace:
            raise StoreError(f"sample {sid} is stored already (use replace=True)")
        if sid is None:
            sid = next_ids(session, "sample_id")[0]
        if exists:
            for name in ("gards_sample_data", *SAMPLE_CHILDREN):
                t = TABLES_SQL[name]
                _delete(session, t, t.c.sample_id == sid)
        _insert(session, "gards_sample_data", [dataclasses.replace(sample, sample_id=sid)])
        for name, rows in tables.items():
            _insert(session, name, [dataclasses.replace(r, sample_id=sid) for r in rows])  # type: ignore[call-arg]
    return sid


def _has(session: Session, sid: int) -> bool:
    t = TABLES_SQL["gards_sample_data"]
    return session.scalar(sa.select(sa.func.count()).where(t.c.sample_id == sid)) != 0


def read_sample(session: Session, sample_id: int) -> dict[str, list[Record]]:
    """A stored sample: ``{table: rows}`` for ``gards_sample_data`` and its result tables."""
    out = {}
    for name in ("gards_sample_data", *SAMPLE_CHILDREN):
        t = TABLES_SQL[name]
        out[name] = read_rows(session, name, t.c.sample_id == sample_id)
    return out


def store_air_concentrations(
    session: Session, rows: Iterable[GardsAirConc], *, auth: str | None = None
) -> int:
    """Replace the ``gards_air_conc`` rows of ``auth`` (default: the rows' own) by ``rows``.

    One transaction: loading the same series twice leaves it stored once.
    """
    rows = list(rows)
    auths = {auth} if auth is not None else {r.auth for r in rows}
    t = TABLES_SQL["gards_air_conc"]
    with _transaction(session):
        _delete(session, t, t.c.auth.in_(sorted(auths)))
        return _insert(session, "gards_air_conc", rows)
