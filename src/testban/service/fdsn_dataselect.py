"""The FDSN dataselect web service 1.1: ``/fdsnws/dataselect/1/{query,version,…}``.

Serves MiniSEED from the waveforms the store knows: its ``wfdisc`` rows (what ``testban
run`` recorded of its archives, or rows loaded from elsewhere) give the files that may
hold a request's channels and times (:func:`testban.store.paths.wfdisc_files`); each file
is read once (:func:`testban.io.waveforms.read_file`, any format testban reads), its
traces of the requested channels are cut to the samples inside ``[starttime, endtime]``
(both ends included, no sample moved or interpolated), pieces that join exactly are
merged, and the result is written as MiniSEED in the samples' own encoding (Steim-2 for
integers read as such, IEEE floats for floats), so the samples served are the samples
stored. A trace whose file names no network gets the station's network of the station
service (:mod:`testban.service.fdsn_station`), so the two services agree.
"""

from __future__ import annotations

import io
import logging
import warnings
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse, Response

from testban.records.css30 import Affiliation, Site, Wfdisc
from testban.service.fdsn_common import (
    NSLC_PARAMS,
    Selection,
    error_response,
    parse_items,
    parse_post,
    selection_of,
    service_routes,
)
from testban.service.fdsn_station import DEFAULT_NETWORK
from testban.service.params import BadRequest, Param
from testban.store import TABLES_SQL, Store, read_rows
from testban.store.paths import wfdisc_files
from testban.store.stations import fdsn_networks

log = logging.getLogger(__name__)

#: Version of the FDSN dataselect specification implemented.
SERVICE_VERSION = "1.1.0"
#: Most samples one request returns (more is HTTP 413: ask for less).
MAX_SAMPLES = 200_000_000

PARAMETERS: tuple[Param, ...] = (
    Param("starttime", "time", "Samples at or after this time (UTC); required.", ("start",)),
    Param("endtime", "time", "Samples at or before this time (UTC); required.", ("end",)),
    *NSLC_PARAMS,
    Param("quality", "choice", "Accepted; the data are served as stored.", (),
          choices=("D", "R", "Q", "M", "B"), default="B"),
    Param("minimumlength", "float", "Leave out segments shorter than this (s).", (), 0, None,
          default="0"),
    Param("longestonly", "bool", "Only the longest segment of each channel.",
          default="false"),
    Param("format", "choice", "Response format.", (), choices=("miniseed",),
          default="miniseed"),
    Param("nodata", "choice", "HTTP status when nothing matches.", (),
          choices=("204", "404"), default="204"),
)  # fmt: skip


class TooMuchData(Exception):
    """A request for more than :data:`MAX_SAMPLES` samples."""


def parse_dataselect(
    items: Sequence[tuple[str, str]], body: str | None = None
) -> tuple[dict[str, Any], list[Selection]]:
    """Options and selections of a GET query or a POST body; every selection has times."""
    if body is not None:
        values, sels = parse_post(body, PARAMETERS)
    else:
        values = parse_items(items, PARAMETERS)
        sels = [selection_of(values)]
    for s in sels:
        if s.start is None or s.end is None:
            raise BadRequest("starttime and endtime are required")
    return values, sels


def _rows(store: Store, sel: Selection) -> tuple[list[Wfdisc], dict[int, Path]]:
    """``wfdisc`` rows that may hold the selection, and their files."""
    wf = TABLES_SQL["wfdisc"]
    assert sel.start is not None and sel.end is not None
    conds = [wf.c.time <= sel.end, wf.c.endtime >= sel.start]
    for part, col in (("station", wf.c.sta), ("channel", wf.c.chan)):
        likes = sel.sql_like(part)
        if likes is not None:
            conds.append(sa.or_(*(sa.func.upper(col).like(p, escape="\\") for p in likes)))
    with store.session() as s:
        rows = [r for r in read_rows(s, "wfdisc", sa.and_(*conds)) if isinstance(r, Wfdisc)]
        files = wfdisc_files(s, rows)
    return rows, files


def station_networks(store: Store, default: str = DEFAULT_NETWORK) -> dict[str, str]:
    """The network code the station service gives each station (its first)."""
    with store.session() as s:
        sites = [r for r in read_rows(s, "site") if isinstance(r, Site)]
        affs = [r for r in read_rows(s, "affiliation") if isinstance(r, Affiliation)]
    refsta = {r.sta: (r.refsta if r.refsta not in ("", "-") else r.sta) for r in sites}
    nets = fdsn_networks(affs, refsta)
    return {sta: nets[sta][0] if sta in nets else default for sta in refsta}


def select_waveforms(
    store: Store,
    selections: Sequence[Selection],
    *,
    minimumlength: float = 0.0,
    longestonly: bool = False,
    default_network: str = DEFAULT_NETWORK,
    max_samples: int = MAX_SAMPLES,
) -> tuple[Any, list[str]]:
    """The stored samples of ``selections``: an ObsPy ``Stream`` and the problems met."""
    from obspy import Stream, UTCDateTime

    from testban.io.waveforms import read_file

    nets = station_networks(store, default_network)
    problems: list[str] = []
    out = Stream()
    total = 0
    for sel in selections:
        assert sel.start is not None and sel.end is not None
        rows, files = _rows(store, sel)
        t0, t1 = UTCDateTime(sel.start), UTCDateTime(sel.end)
        by_file: dict[Path, list[Wfdisc]] = defaultdict(list)
        for r in rows:
            by_file[files[r.wfid]].append(r)
        got = Stream()
        for path, frows in by_file.items():
            stas = {r.sta.upper() for r in frows}
            st, probs = read_file(path, starttime=t0, endtime=t1)
            problems += [f"{path.name}: {p.message}" for p in probs if p.severity == "error"]
            for tr in st:
                s = tr.stats
                if s.station.upper() not in stas:
                    continue
                if not s.network:
                    s.network = nets.get(s.station.upper(), default_network)
                if not sel.matches(s.network, s.station, s.location, s.channel):
                    continue
                tr.trim(t0, t1, nearest_sample=False)
                if s.npts:
                    got.append(tr)
        total += sum(tr.stats.npts for tr in got)
        if total > max_samples:
            raise TooMuchData(f"more than {max_samples} samples requested; ask for less")
        out += got
    out = _unique(out)
    out.merge(method=-1)
    out = Stream([tr for tr in out if tr.stats.npts / tr.stats.sampling_rate >= minimumlength])
    if longestonly:
        best: dict[str, Any] = {}
        for tr in out:
            if tr.id not in best or tr.stats.npts > best[tr.id].stats.npts:
                best[tr.id] = tr
        out = Stream(list(best.values()))
    out.sort(keys=["network", "station", "location", "channel", "starttime"])
    return out, problems


def _unique(st: Any) -> Any:
    """``st`` without traces that repeat another's id, start, rate and samples."""
    import numpy as np
    from obspy import Stream

    seen: dict[tuple[str, int, float, int], list[Any]] = {}
    keep = []
    for tr in st:
        key = (tr.id, tr.stats.starttime.ns, tr.stats.sampling_rate, tr.stats.npts)
        if any(np.array_equal(tr.data, o.data) for o in seen.get(key, [])):
            continue
        seen.setdefault(key, []).append(tr)
        keep.append(tr)
    return Stream(keep)


#: MiniSEED encodings that keep each sample type exactly.
ENCODINGS = {
    "int32": ("STEIM2", "STEIM1", "INT32"),
    "int16": ("INT16",),
    "float32": ("FLOAT32",),
    "float64": ("FLOAT64",),
}


def miniseed(st: Any) -> bytes:
    """MiniSEED of ``st`` in each trace's own encoding (sample-exact)."""
    import numpy as np

    buf = io.BytesIO()
    for tr in st:
        if tr.data.dtype.kind in "iu" and tr.data.dtype.name not in ENCODINGS:
            big = np.abs(tr.data).max(initial=0) >= 2**31  # MiniSEED has no 64-bit integers
            tr.data = tr.data.astype(np.float64 if big else np.int32)
        elif tr.data.dtype.name not in ENCODINGS:
            tr.data = tr.data.astype(np.float64)
        enc = tr.stats.get("mseed", {}).get("encoding")
        if enc not in ENCODINGS[tr.data.dtype.name]:
            tr.stats.pop("mseed", None)
    with warnings.catch_warnings():  # one encoding per trace is what is meant
        warnings.filterwarnings("ignore", "File will be written with more than one")
        st.write(buf, format="MSEED")
    return buf.getvalue()


def router(store: Store, *, default_network: str = DEFAULT_NETWORK) -> APIRouter:
    """The FDSN dataselect service routes, on ``store``."""
    r = APIRouter(prefix="/fdsnws/dataselect/1", tags=["FDSN dataselect service"])

    def fail(request: Request, status: int, message: str) -> PlainTextResponse:
        return error_response(request, status, message, version=SERVICE_VERSION,
                              index="fdsn_dataselect_index")  # fmt: skip

    def answer(request: Request, items: list[tuple[str, str]], body: str | None) -> Response:
        try:
            values, sels = parse_dataselect(items, body)
            st, problems = select_waveforms(
                store, sels, minimumlength=values.get("minimumlength", 0.0),
                longestonly=values.get("longestonly", False), default_network=default_network,
            )  # fmt: skip
        except BadRequest as exc:
            return fail(request, 400, str(exc))
        except TooMuchData as exc:
            return fail(request, 413, str(exc))
        for p in problems:
            log.warning("dataselect: %s", p)
        if not len(st):
            if values.get("nodata", "204") == "404":
                return fail(request, 404, "No data match the request.")
            return Response(status_code=204)
        return Response(miniseed(st), media_type="application/vnd.fdsn.mseed")

    @r.get("/", name="fdsn_dataselect_index", response_class=PlainTextResponse)
    def index(request: Request) -> str:
        """Where the service's parts are."""
        base = str(request.url_for("fdsn_dataselect_index"))
        return (
            "testban FDSN dataselect web service 1.1\n\n"
            f"query:   {base}query?network=...&station=...&starttime=...&endtime=...\n"
            f"version: {base}version\n"
            f"WADL:    {base}application.wadl\n"
        )

    service_routes(
        r,
        answer,
        PARAMETERS,
        ("application/vnd.fdsn.mseed",),
        "fdsn_dataselect_index",
        SERVICE_VERSION,
    )

    return r
