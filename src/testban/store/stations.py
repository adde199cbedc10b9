"""Station metadata in the store: CSS3.0 ``site``, ``sitechan``, ``affiliation``,
``sensor``, ``instrument``, plus the responses CSS3.0 keeps only in files.

``testban run`` records the network it processed (:func:`store_network`), so that the
FDSN station service and the pages answer from the store alone. Rows already stored
(same CSS3.0 key) are kept as they are: the store is a record of what was processed, and
an earlier row is never rewritten by a later read of the same metadata.

Two things have no CSS3.0 column and are kept as follows:

* the **FDSN network code** of a station (``IU``, or the code its waveforms carry) is an
  ``affiliation`` row (CSS3.0 networks are affiliations; IMS stations also carry
  ``IMS_PRI`` …); :func:`fdsn_networks` reads it back;
* a channel's **response** (an ObsPy ``Response`` from StationXML or a CSS3.0 response
  file) is StationXML text in testban's own ``chanresp`` table (``sta``, ``chan``,
  ``ondate`` of its ``sitechan`` row), created when first needed.
"""

from __future__ import annotations

import dataclasses
import io
import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from testban.records.css30 import Affiliation, Instrument, Record, Sensor, Sitechan
from testban.store.db import _transaction, insert_tables, read_rows
from testban.store.schema import PRIMARY_KEYS

if TYPE_CHECKING:
    from obspy.core.inventory.response import Response

    from testban.network import Network

__all__ = [
    "FDSN_CODE",
    "chanresp_table",
    "fdsn_networks",
    "read_responses",
    "store_network",
]

#: An FDSN network code as an ``affiliation.net`` (1–2 letters or digits; IMS affiliations
#: such as ``IMS_PRI`` are not codes).
FDSN_CODE = re.compile(r"^[A-Z0-9]{1,2}$")

#: testban's own table of channel responses (StationXML of one channel), by sitechan key.
responses_metadata = sa.MetaData()
chanresp_table = sa.Table(
    "chanresp",
    responses_metadata,
    sa.Column("sta", sa.String(6), primary_key=True),
    sa.Column("chan", sa.String(8), primary_key=True),
    sa.Column("ondate", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("xml", sa.Text, nullable=False),
)


def _key(table: str, row: Record) -> tuple[Any, ...]:
    return tuple(getattr(row, k) for k in PRIMARY_KEYS[table])


def _stored_keys(session: Session, table: str, stas: set[str]) -> set[tuple[Any, ...]]:
    from testban.store.schema import TABLES_SQL

    t = TABLES_SQL[table]
    out: set[tuple[Any, ...]] = set()
    names = sorted(stas)
    for i in range(0, len(names), 500):
        cols = [t.c[k] for k in PRIMARY_KEYS[table]]
        stmt = sa.select(*cols).where(t.c.sta.in_(names[i : i + 500]))
        out |= {tuple(r) for r in session.execute(stmt)}
    return out


def response_xml(response: Response) -> str:
    """StationXML text of one channel holding ``response`` (how ``chanresp`` keeps it)."""
    from obspy import Inventory
    from obspy.core.inventory import Channel, Network, Station

    chan = Channel("XXX", "", 0.0, 0.0, 0.0, 0.0, response=response)
    inv = Inventory(
        networks=[Network("XX", stations=[Station("X", 0.0, 0.0, 0.0, channels=[chan])])],
        source="testban",
    )
    buf = io.BytesIO()
    inv.write(buf, format="STATIONXML")
    return buf.getvalue().decode("utf-8")


def _response_of(xml: str) -> Response | None:
    from obspy import read_inventory

    inv = read_inventory(io.BytesIO(xml.encode("utf-8")), format="STATIONXML")
    return inv[0][0][0].response


def store_network(
    session: Session, network: Network, seed_ids: Iterable[tuple[str, str]] = ()
) -> dict[str, int]:
    """Record ``network`` as CSS3.0 rows, skipping rows whose key is stored already.

    ``seed_ids``: (FDSN network, station) pairs seen in the waveforms; each becomes an
    ``affiliation`` (as does :attr:`Station.network`). Instruments are matched to stored
    ones by name, sample rate and file, else given new ``inid``; new ``sitechan`` rows get
    new ``chanid``. Responses go to ``chanresp``. Returns rows written per table.
    """
    tables = network.to_css30()
    known = set(network.codes)
    extra = {(s.network, s.code) for s in network if s.network}
    extra |= {(n, s) for n, s in seed_ids if n and s in known}
    tables["affiliation"] = list(tables["affiliation"]) + [
        Affiliation(net=n, sta=s) for n, s in sorted(extra)
        if n not in network.station(s).affiliations
    ]  # fmt: skip
    from testban.store.schema import TABLES_SQL

    counts: dict[str, int] = {}
    with _transaction(session):
        new: dict[str, list[Record]] = {}
        for table in ("site", "sitechan", "affiliation"):
            have = _stored_keys(session, table, known)
            rows = []
            for r in tables[table]:
                k = _key(table, r)
                if k not in have:
                    have.add(k)
                    rows.append(r)
            new[table] = rows
        # chanids: continue after the largest stored one
        ic = TABLES_SQL["sitechan"].c.chanid
        next_chanid = int(session.scalar(sa.select(sa.func.max(ic))) or 0) + 1
        chanids: dict[int, int] = {}
        sitechans = [r for r in new["sitechan"] if isinstance(r, Sitechan)]
        for r in sitechans:
            chanids[r.chanid] = next_chanid
            next_chanid += 1
        new["sitechan"] = [dataclasses.replace(r, chanid=chanids[r.chanid]) for r in sitechans]
        # instruments: reuse a stored one with the same name, rate and file
        stored = [r for r in read_rows(session, "instrument") if isinstance(r, Instrument)]
        by_sig = {(i.insname, i.samprate, i.dir, i.dfile): i.inid for i in stored}
        next_inid = max((i.inid for i in stored), default=0) + 1
        inids: dict[int, int] = {}
        new_inst: list[Record] = []
        for inst in tables["instrument"]:
            sig = (inst.insname, inst.samprate, inst.dir, inst.dfile)
            if sig not in by_sig:
                by_sig[sig] = next_inid
                new_inst.append(dataclasses.replace(inst, inid=next_inid))
                next_inid += 1
            inids[inst.inid] = by_sig[sig]
        new["instrument"] = new_inst
        have_sensor = _stored_keys(session, "sensor", known)
        sensors: list[Record] = []
        fresh = {(r.sta, r.chan) for r in sitechans}
        old_chanid = {(r.sta, r.chan): r.chanid for r in tables["sitechan"]}
        for s in tables["sensor"]:
            assert isinstance(s, Sensor)
            if (s.sta, s.chan) not in fresh or _key("sensor", s) in have_sensor:
                continue
            have_sensor.add(_key("sensor", s))
            chanid = chanids.get(old_chanid.get((s.sta, s.chan), -1), -1)
            sensors.append(
                Sensor(sta=s.sta, chan=s.chan, inid=inids[s.inid], chanid=chanid,
                       time=s.time, endtime=s.endtime)
            )  # fmt: skip
        new["sensor"] = sensors
        counts = insert_tables(session, new)
        counts["chanresp"] = _store_responses(session, network, fresh)
    return counts


def _store_responses(session: Session, network: Network, fresh: set[tuple[str, str]]) -> int:
    """``chanresp`` rows for the new channels that have a response."""
    rows = []
    for s in network:
        seen: set[str] = set()
        for c in s.channels:
            if c.code in seen or (s.code, c.code) not in fresh:
                continue
            seen.add(c.code)
            if c.response is None:
                continue
            rows.append(
                {"sta": s.code, "chan": c.code, "ondate": s.ondate, "xml": response_xml(c.response)}
            )
    if not rows:
        return 0
    responses_metadata.create_all(session.connection(), checkfirst=True)
    session.execute(sa.insert(chanresp_table), rows)
    return len(rows)


def read_responses(session: Session) -> dict[tuple[str, str, int], Response | None]:
    """Stored responses by (sta, chan, ondate); empty for a store without ``chanresp``."""
    if not sa.inspect(session.connection()).has_table("chanresp"):
        return {}
    out: dict[tuple[str, str, int], Response | None] = {}
    for sta, chan, ondate, xml in session.execute(sa.select(chanresp_table)):
        out[(sta, chan, int(ondate))] = _response_of(xml)
    return out


def fdsn_networks(
    affiliations: Iterable[Affiliation], refsta: Mapping[str, str]
) -> dict[str, list[str]]:
    """FDSN network codes of each station: its own code-like affiliations, else those of
    its array (``refsta``) or of the array's elements; stations with none are left out."""
    own: dict[str, list[str]] = {}
    for a in affiliations:
        net = a.net.strip().upper()
        if FDSN_CODE.match(net) and net not in own.setdefault(a.sta, []):
            own[a.sta].append(net)
    by_array: dict[str, list[str]] = {}
    for sta, ref in refsta.items():
        for n in own.get(sta, []):
            if n not in by_array.setdefault(ref, []):
                by_array[ref].append(n)
    out = {}
    for sta in refsta:
        nets = own.get(sta) or by_array.get(refsta[sta]) or by_array.get(sta)
        if nets:
            out[sta] = list(nets)
    for sta, nets in own.items():
        out.setdefault(sta, nets)
    return out
