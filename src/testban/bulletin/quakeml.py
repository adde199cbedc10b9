"""CSS3.0 rows ↔ ObsPy ``Catalog``, and QuakeML files validated against the schema.

Mapping (units converted: depths and ellipse axes km ↔ m, amplitudes nm ↔ m):

- ``origin`` → ``Origin`` (``dtype`` g/r → depth "operator assigned", d → "constrained by
  depth phases"), ``origerr`` → its time/depth errors, quality (``sdobs``) and the
  confidence ellipse (``OriginUncertainty``, ``conf`` as a percentage);
- ``etype`` → event type (:data:`~testban.bulletin.model.ETYPES`), ``event.prefor`` →
  preferred origin;
- ``arrival`` → ``Pick`` (+ ``Amplitude`` when it has an amplitude), ``assoc`` → ``Arrival``
  with residuals and weights (1 defining, 0 not);
- ``netmag`` → ``Magnitude`` (IMS names: mb, Ms, mbmle …), ``stamag`` →
  ``StationMagnitude`` and the magnitude's contributions.

Ids become resource ids ``<prefix>/origin/<orid>`` …; on the way back the trailing number
is the id again when it is unique (else new ids are numbered after the largest).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from testban.bulletin.model import (
    ETYPES,
    QUAKEML_ETYPES,
    Tables,
    azimuthal_gap,
    defining,
    events_of,
    has,
    ims_magtype,
    magnitude_family,
)
from testban.io.css30 import rows_of
from testban.io.problems import ReadProblem
from testban.records.css30 import (
    Amplitude,
    Arrival,
    Assoc,
    Event,
    Netmag,
    Origerr,
    Origin,
    Record,
    Screen,
    Stamag,
    jdate,
)

PREFIX = "smi:local/testban"
_DEPTH_TYPES = {
    "g": "operator assigned",
    "r": "operator assigned",
    "d": "constrained by depth phases",
}
_ONSETS = {"i": "impulsive", "e": "emergent", "q": "questionable"}
_POLARITIES = {"c": "positive", "u": "positive", "d": "negative", "r": "negative"}


def _errors(value: float | None) -> dict[str, float]:
    return {"uncertainty": value} if value is not None else {}


def _opt(value: float, na: float = -999.0) -> float | None:
    return value if has(value, na) else None


def to_catalog(tables: Tables, *, prefix: str = PREFIX, description: str = "") -> Any:
    """An ObsPy ``Catalog`` of a bulletin (``{table: rows}``)."""
    from obspy import UTCDateTime
    from obspy.core.event import Amplitude as QAmplitude
    from obspy.core.event import Arrival as QArrival
    from obspy.core.event import (
        Catalog,
        Comment,
        CreationInfo,
        EventDescription,
        OriginQuality,
        OriginUncertainty,
        QuantityError,
        StationMagnitudeContribution,
        WaveformStreamID,
    )
    from obspy.core.event import Event as QEvent
    from obspy.core.event import Magnitude as QMagnitude
    from obspy.core.event import Origin as QOrigin
    from obspy.core.event import Pick as QPick
    from obspy.core.event import StationMagnitude as QStationMagnitude

    def rid(kind: str, key: object) -> str:
        return f"{prefix}/{kind}/{key}"

    def author(auth: str) -> Any:
        return CreationInfo(author=auth) if auth not in ("", "-") else None

    index = events_of(tables)
    screens: dict[int, list[Screen]] = {}
    for r in rows_of(tables, Screen):
        screens.setdefault(r.orid, []).append(r)
    catalog = Catalog(resource_id=f"{prefix}/catalog", description=description or None)
    for view in index.events:
        pref = view.preferred
        ev = QEvent(resource_id=rid("event", view.evid))
        if pref.etype in ETYPES:
            ev.event_type = ETYPES[pref.etype][0]
        if view.event is not None and view.event.evname not in ("", "-"):
            ev.event_descriptions.append(
                EventDescription(text=view.event.evname, type="earthquake name")
            )
        picked: set[int] = set()
        for o in view.origins:
            err = view.origerr.get(o.orid)
            assocs = view.assocs.get(o.orid, [])
            used = defining(assocs)
            qo = QOrigin(
                resource_id=rid("origin", o.orid),
                time=UTCDateTime(o.time),
                latitude=_opt(o.lat),
                longitude=_opt(o.lon),
                depth=o.depth * 1000.0 if has(o.depth) else None,
                depth_type=_DEPTH_TYPES.get(o.dtype, "from location"),
                creation_info=author(o.auth),
            )
            if o.algorithm not in ("", "-"):
                qo.method_id = rid("method", o.algorithm)
            deltas = [a.delta for a in used if has(a.delta, -1.0)]
            qo.quality = OriginQuality(
                associated_phase_count=o.nass if o.nass >= 0 else len(assocs) or None,
                used_phase_count=o.ndef if o.ndef >= 0 else len(used) or None,
                used_station_count=len({a.sta for a in used}) or None,
                azimuthal_gap=azimuthal_gap(a.esaz for a in used if has(a.esaz)),
                minimum_distance=min(deltas) if deltas else None,
                maximum_distance=max(deltas) if deltas else None,
                standard_error=_opt(err.sdobs, -1.0) if err is not None else None,
            )
            if err is not None:
                if has(err.stime, 0.0):
                    qo.time_errors = QuantityError(uncertainty=err.stime)
                if has(err.sdepth, 0.0) and o.dtype not in ("g", "r"):
                    qo.depth_errors = QuantityError(uncertainty=err.sdepth * 1000.0)
                if has(err.smajax, 0.0) and has(err.sminax, -1.0):
                    qo.origin_uncertainty = OriginUncertainty(
                        max_horizontal_uncertainty=err.smajax * 1000.0,
                        min_horizontal_uncertainty=err.sminax * 1000.0,
                        azimuth_max_horizontal_uncertainty=(
                            err.strike % 360.0 if has(err.strike, -1.0) else None
                        ),
                        confidence_level=err.conf * 100.0 if has(err.conf, 0.0) else None,
                        preferred_description="uncertainty ellipse",
                    )
            for s in assocs:
                a = index.arrivals.get(s.arid)
                if a is None:
                    continue
                if s.arid not in picked:
                    picked.add(s.arid)
                    ev.picks.append(_pick(a, rid, QPick, WaveformStreamID, QuantityError))
                    amp = _amplitude(a, index.amplitudes.get(a.arid, []))
                    if amp is not None:
                        value, per, snr, amptype = amp
                        ev.amplitudes.append(
                            QAmplitude(
                                resource_id=rid("amplitude", a.arid), generic_amplitude=value,
                                unit="m", period=per, snr=snr, type=amptype,
                                pick_id=rid("pick", a.arid),
                                waveform_id=WaveformStreamID("", a.sta),
                            )
                        )  # fmt: skip
                qo.arrivals.append(
                    QArrival(
                        resource_id=rid("arrival", f"{o.orid}-{s.arid}"),
                        pick_id=rid("pick", s.arid), phase=s.phase if s.phase != "-" else None,
                        azimuth=_opt(s.esaz), distance=_opt(s.delta, -1.0),
                        time_residual=_opt(s.timeres), backazimuth_residual=_opt(s.azres),
                        horizontal_slowness_residual=_opt(s.slores),
                        time_weight=1.0 if s.timedef == "d" else 0.0,
                        backazimuth_weight=1.0 if s.azdef == "d" else 0.0,
                        horizontal_slowness_weight=1.0 if s.slodef == "d" else 0.0,
                        earth_model_id=rid("model", s.vmodel) if s.vmodel != "-" else None,
                    )
                )  # fmt: skip
            ev.origins.append(qo)
            stamag_ids: dict[int, list[str]] = {}
            for sm in view.stamags.get(o.orid, []):
                if not has(sm.magnitude):
                    continue
                sid = rid("station_magnitude", f"{sm.magid}-{sm.sta}-{sm.arid}")
                stamag_ids.setdefault(sm.magid, []).append(sid)
                amp_id = rid("amplitude", sm.arid) if sm.arid > 0 and sm.arid in picked else None
                ev.station_magnitudes.append(
                    QStationMagnitude(
                        resource_id=sid, origin_id=qo.resource_id, mag=sm.magnitude,
                        station_magnitude_type=ims_magtype(sm.magtype),
                        amplitude_id=amp_id, waveform_id=WaveformStreamID("", sm.sta),
                        creation_info=author(sm.auth),
                    )
                )  # fmt: skip
            families = set()
            for nm in view.netmags.get(o.orid, []):
                if not has(nm.magnitude):
                    continue
                families.add(magnitude_family(nm.magtype))
                qm = QMagnitude(
                    resource_id=rid("magnitude", nm.magid), mag=nm.magnitude,
                    magnitude_type=ims_magtype(nm.magtype), origin_id=qo.resource_id,
                    station_count=nm.nsta if nm.nsta >= 0 else None,
                    creation_info=author(nm.auth),
                )  # fmt: skip
                if has(nm.uncertainty, 0.0):
                    qm.mag_errors = QuantityError(uncertainty=nm.uncertainty)
                for sm in view.stamags.get(o.orid, []):
                    if sm.magid == nm.magid and has(sm.magnitude):
                        qm.station_magnitude_contributions.append(
                            StationMagnitudeContribution(
                                station_magnitude_id=rid(
                                    "station_magnitude", f"{sm.magid}-{sm.sta}-{sm.arid}"
                                ),
                                residual=_opt(sm.magres),
                                weight=1.0 if sm.magdef == "d" else 0.0,
                            )
                        )
                ev.magnitudes.append(qm)
            for fam, value, ims in (("mb", o.mb, "mb"), ("ms", o.ms, "Ms"), ("ml", o.ml, "ML")):
                if has(value) and fam not in families:
                    ev.magnitudes.append(
                        QMagnitude(
                            resource_id=rid("magnitude", f"{o.orid}-{fam}"), mag=value,
                            magnitude_type=ims, origin_id=qo.resource_id,
                            creation_info=author(o.auth),
                        )
                    )  # fmt: skip
        ev.preferred_origin_id = rid("origin", pref.orid)
        for r in screens.get(pref.orid, []):
            ev.comments.append(Comment(
                resource_id=rid("comment", f"{pref.orid}/screening/{r.criterion}"),
                text=screening_comment(r), creation_info=author(r.auth),
            ))  # fmt: skip
        pref_mags = [m for m in ev.magnitudes if m.origin_id == ev.preferred_origin_id]
        if pref_mags:
            wanted = {pref.mbid, pref.msid, pref.mlid} - {-1}
            best = next(
                (m for m in pref_mags if str(m.resource_id).rsplit("/", 1)[-1] in
                 {str(i) for i in wanted}),
                pref_mags[0],
            )  # fmt: skip
            ev.preferred_magnitude_id = best.resource_id.id
        catalog.append(ev)
    return catalog


def screening_comment(r: Screen) -> str:
    """A screening row as the text of a QuakeML event comment:
    ``screening <criterion>: <outcome> — <reason>`` (the event type is never set from it:
    only a person decides "explosion")."""
    return f"screening {r.criterion}: {r.outcome} — {r.reason}"


def _pick(a: Arrival, rid: Any, QPick: Any, WaveformStreamID: Any, QuantityError: Any) -> Any:
    from obspy import UTCDateTime

    pick = QPick(
        resource_id=rid("pick", a.arid),
        time=UTCDateTime(a.time),
        waveform_id=WaveformStreamID(
            "", a.sta, channel_code=a.chan if a.chan not in ("", "-") else None
        ),
        phase_hint=a.iphase if a.iphase != "-" else None,
        backazimuth=_opt(a.azimuth, -1.0),
        horizontal_slowness=_opt(a.slow, -1.0),
        onset=_ONSETS.get(a.qual),
        polarity=_POLARITIES.get(a.fm[:1].lower()),
        evaluation_mode="automatic" if a.stype != "m" else "manual",
    )
    if has(a.deltim, 0.0):
        pick.time_errors = QuantityError(uncertainty=a.deltim)
    if has(a.delaz, 0.0) and pick.backazimuth is not None:
        pick.backazimuth_errors = QuantityError(uncertainty=a.delaz)
    if has(a.delslo, 0.0) and pick.horizontal_slowness is not None:
        pick.horizontal_slowness_errors = QuantityError(uncertainty=a.delslo)
    if a.auth not in ("", "-"):
        from obspy.core.event import CreationInfo

        pick.creation_info = CreationInfo(author=a.auth)
    return pick


def _amplitude(
    a: Arrival, rows: list[Amplitude]
) -> tuple[float, float | None, float | None, str | None] | None:
    """(amplitude in m, period, snr, type) of an arrival: its own, else an amplitude row."""
    if has(a.amp, 0.0):
        return a.amp * 1e-9, _opt(a.per, 0.0), _opt(a.snr, -1.0), None
    for r in rows:
        if has(r.amp, 0.0):
            t = r.amptype if r.amptype != "-" else None
            return r.amp * 1e-9, _opt(r.per, 0.0), _opt(r.snr, -1.0), t
    return None


# ------------------------------------------------------------------------- and back


class _Ids:
    """Integer ids from resource ids: the trailing number when unique, else new ones."""

    def __init__(self, resource_ids: Iterable[str]):
        self.ids: dict[str, int] = {}
        taken: dict[int, int] = {}
        keys = list(dict.fromkeys(resource_ids))
        for key in keys:
            m = re.search(r"[/=#:](\d{1,9})$", key)
            if m:
                n = int(m.group(1))
                taken[n] = taken.get(n, 0) + 1
        nxt = max([0, *taken]) + 1
        for key in keys:
            m = re.search(r"[/=#:](\d{1,9})$", key)
            n = int(m.group(1)) if m else 0
            if m and n > 0 and taken[n] == 1:
                self.ids[key] = n
            else:
                self.ids[key] = nxt
                nxt += 1

    def __getitem__(self, key: object) -> int:
        return self.ids.get(str(key), -1)


def _author(obj: Any) -> str:
    ci = getattr(obj, "creation_info", None)
    a = ci.author if ci is not None and ci.author else ""
    return a[:15] if a else "-"


def _unc(errors: Any) -> float | None:
    return errors.uncertainty if errors is not None and errors.uncertainty is not None else None


def _f(value: float | None, na: float) -> float:
    return float(value) if value is not None else na


def from_catalog(catalog: Any) -> dict[str, list[Record]]:
    """CSS3.0 rows (``{table: rows}``) of an ObsPy ``Catalog``: the inverse of :func:`to_catalog`.

    Works on any catalog (QuakeML, IMS1.0 via ObsPy): what the CSS3.0 tables cannot hold is
    dropped; a network magnitude type is kept as written (``mb``, ``MS`` …); station
    magnitudes are tied to the network magnitude that lists them, else to the one of the
    same type and origin.
    """
    out: dict[str, list[Record]] = {t: [] for t in (
        "event", "origin", "origerr", "netmag", "stamag", "assoc", "arrival", "amplitude",
    )}  # fmt: skip
    events = list(catalog)
    evids = _Ids(str(e.resource_id) for e in events)
    orids = _Ids(str(o.resource_id) for e in events for o in e.origins)
    arids = _Ids(str(p.resource_id) for e in events for p in e.picks)
    magids = _Ids(str(m.resource_id) for e in events for m in e.magnitudes)
    for e in events:
        evid = evids[e.resource_id]
        etype = QUAKEML_ETYPES.get(str(e.event_type), "-") if e.event_type else "-"
        pref = e.preferred_origin() or (e.origins[0] if e.origins else None)
        picks = {str(p.resource_id): p for p in e.picks}
        amps_by_pick: dict[str, Any] = {}
        amps_by_id: dict[str, Any] = {}
        for amp in e.amplitudes:
            amps_by_id[str(amp.resource_id)] = amp
            if amp.pick_id is not None:
                amps_by_pick.setdefault(str(amp.pick_id), amp)
        for p in e.picks:
            if p.time is None:
                continue
            arid = arids[p.resource_id]
            amp = amps_by_pick.get(str(p.resource_id))
            wid = p.waveform_id
            fm = {"positive": "c", "negative": "d"}.get(str(p.polarity), "-")
            qual = {v: k for k, v in _ONSETS.items()}.get(str(p.onset), "-")
            value = amp.generic_amplitude if amp is not None else None
            scale = 1e9 if amp is not None and str(amp.unit or "m") == "m" else 1.0
            out["arrival"].append(
                Arrival(
                    sta=(wid.station_code or "-") if wid else "-",
                    time=round(float(p.time), 6), arid=arid, jdate=jdate(p.time),
                    chan=(wid.channel_code or "-") if wid else "-",
                    iphase=p.phase_hint or "-",
                    stype="m" if p.evaluation_mode == "manual" else "-",
                    deltim=_f(_unc(p.time_errors), -1.0),
                    azimuth=_f(p.backazimuth, -1.0), delaz=_f(_unc(p.backazimuth_errors), -1.0),
                    slow=_f(p.horizontal_slowness, -1.0),
                    delslo=_f(_unc(p.horizontal_slowness_errors), -1.0),
                    amp=value * scale if value is not None else -1.0,
                    per=_f(amp.period if amp is not None else None, -1.0),
                    snr=_f(amp.snr if amp is not None else None, -1.0),
                    qual=qual, fm=fm, auth=_author(p),
                )
            )  # fmt: skip
        first_orid = -1
        for o in e.origins:
            orid = orids[o.resource_id]
            if pref is not None and o.resource_id == pref.resource_id:
                first_orid = orid
            mags = [m for m in e.magnitudes if m.origin_id == o.resource_id]
            if o is pref:
                mags += [m for m in e.magnitudes if m.origin_id is None]
            columns = _origin_magnitudes(mags, magids)
            q = o.quality
            dtype = {"operator assigned": "g", "constrained by depth phases": "d"}.get(
                str(o.depth_type), "f"
            )
            out["origin"].append(
                Origin(
                    lat=_f(o.latitude, -999.0), lon=_f(o.longitude, -999.0),
                    depth=o.depth / 1000.0 if o.depth is not None else -999.0,
                    time=round(float(o.time), 6), orid=orid, evid=evid, jdate=jdate(o.time),
                    nass=(q.associated_phase_count if q and q.associated_phase_count is not None
                          else len(o.arrivals) or -1),
                    ndef=q.used_phase_count if q and q.used_phase_count is not None else -1,
                    etype=etype, dtype=dtype, **columns,
                    algorithm=(str(o.method_id).rsplit("/", 1)[-1][:15] if o.method_id else "-"),
                    auth=_author(o),
                )
            )  # fmt: skip
            ou = o.origin_uncertainty
            ellipse = ou is not None and ou.max_horizontal_uncertainty is not None
            if ellipse or o.time_errors or o.depth_errors or (q and q.standard_error):
                out["origerr"].append(
                    Origerr(
                        orid=orid,
                        sdobs=_f(q.standard_error if q else None, -1.0),
                        smajax=ou.max_horizontal_uncertainty / 1000.0 if ellipse else -1.0,
                        sminax=_f(ou.min_horizontal_uncertainty, -1000.0) / 1000.0
                        if ellipse else -1.0,
                        strike=_f(ou.azimuth_max_horizontal_uncertainty, -1.0)
                        if ellipse else -1.0,
                        sdepth=_f(_unc(o.depth_errors), -1000.0) / 1000.0,
                        stime=_f(_unc(o.time_errors), -1.0),
                        conf=ou.confidence_level / 100.0
                        if ellipse and ou.confidence_level is not None else 0.0,
                    )
                )  # fmt: skip
            for a in o.arrivals:
                p = picks.get(str(a.pick_id))
                if p is None or p.time is None:
                    continue
                out["assoc"].append(
                    Assoc(
                        arid=arids[p.resource_id], orid=orid,
                        sta=(p.waveform_id.station_code or "-") if p.waveform_id else "-",
                        phase=a.phase or "-", delta=_f(a.distance, -1.0),
                        esaz=_f(a.azimuth, -999.0), timeres=_f(a.time_residual, -999.0),
                        timedef="d" if a.time_weight else "n",
                        azres=_f(a.backazimuth_residual, -999.0),
                        azdef="d" if a.backazimuth_weight else "n",
                        slores=_f(a.horizontal_slowness_residual, -999.0),
                        slodef="d" if a.horizontal_slowness_weight else "n",
                        wgt=1.0 if a.time_weight else -1.0,
                        vmodel=(str(a.earth_model_id).rsplit("/", 1)[-1][:15]
                                if a.earth_model_id else "-"),
                    )
                )  # fmt: skip
            for m in mags:
                out["netmag"].append(
                    Netmag(
                        magid=magids[m.resource_id], orid=orid, evid=evid,
                        magtype=(m.magnitude_type or "-")[:6],
                        nsta=m.station_count if m.station_count is not None else -1,
                        magnitude=float(m.mag), uncertainty=_f(_unc(m.mag_errors), -1.0),
                        auth=_author(m),
                    )
                )  # fmt: skip
        contributions: dict[str, tuple[int, float | None, float | None]] = {}
        for m in e.magnitudes:
            for c in m.station_magnitude_contributions:
                contributions[str(c.station_magnitude_id)] = (
                    magids[m.resource_id], c.residual, c.weight,
                )  # fmt: skip
        for sm in e.station_magnitudes:
            if sm.mag is None:
                continue
            o_id = str(sm.origin_id) if sm.origin_id else None
            orid = orids[o_id] if o_id and orids[o_id] > 0 else first_orid
            amp = amps_by_id.get(str(sm.amplitude_id)) if sm.amplitude_id else None
            pick = picks.get(str(amp.pick_id)) if amp is not None and amp.pick_id else None
            if pick is None:  # ObsPy's IMS1.0 reader names both by the ArrID
                pick = picks.get(str(sm.resource_id).replace("/station_magnitude/", "/pick/"))
            magid, res, weight = contributions.get(str(sm.resource_id), (-1, None, None))
            # ObsPy's IMS1.0 reader stores the type as ``magnitude_type``.
            mtype = sm.station_magnitude_type or getattr(sm, "magnitude_type", None) or "-"
            if magid < 0:
                magid = next(
                    (magids[m.resource_id] for m in e.magnitudes
                     if orids[m.origin_id] == orid
                     and (m.magnitude_type or "").lower() == mtype.lower()),
                    -1,
                )  # fmt: skip
            sta = sm.waveform_id.station_code if sm.waveform_id else None
            out["stamag"].append(
                Stamag(
                    magid=magid, sta=sta or "-",
                    arid=arids[pick.resource_id] if pick is not None else -1,
                    orid=orid, evid=evid,
                    phase=(pick.phase_hint or "-") if pick is not None else "-",
                    magtype=mtype[:6], magnitude=float(sm.mag),
                    magres=_f(res, -999.0), magdef="n" if weight == 0.0 else "d",
                    auth=_author(sm),
                )
            )  # fmt: skip
        region = next((d.text for d in e.event_descriptions if d.text), "-")
        out["event"].append(
            Event(evid=evid, evname=region[:15], prefor=first_orid, auth=_author(pref))
        )
    return out


def _origin_magnitudes(mags: list[Any], magids: _Ids) -> dict[str, Any]:
    """The origin's ``mb``/``ms``/``ml`` columns (and ids) from its network magnitudes."""
    cols: dict[str, Any] = {}
    for m in mags:
        fam = magnitude_family(m.magnitude_type or "")
        if fam is None or fam in cols or m.mag is None:
            continue
        cols[fam] = float(m.mag)
        cols[f"{fam}id"] = magids[m.resource_id]
    return cols


def write_quakeml(
    tables: Tables, path: str | os.PathLike[str], *, validate: bool = True, **options: Any
) -> Path:
    """Write ``tables`` as QuakeML 1.2, validated against the schema (``validate=False`` not)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    to_catalog(tables, **options).write(str(tmp), format="QUAKEML", validate=validate)
    os.replace(tmp, path)
    return path


def read_quakeml(
    path: str | os.PathLike[str], problems: list[ReadProblem] | None = None
) -> dict[str, list[Record]]:
    """CSS3.0 rows of a QuakeML file.

    A file ObsPy cannot parse raises :class:`~testban.bulletin.ims10.BulletinError`, or,
    with a ``problems`` list, is reported there and gives no rows (an XML document damaged
    anywhere is not parsed at all).
    """
    import warnings

    from obspy import read_events

    from testban.bulletin.ims10 import BulletinError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return from_catalog(read_events(str(path), format="QUAKEML"))
    except Exception as exc:  # noqa: BLE001 (lxml and ObsPy raise many kinds)
        err = BulletinError(f"not a readable QuakeML file: {type(exc).__name__}: {exc}")
        if problems is None:
            raise err from exc
        problems.append(ReadProblem(str(path), str(err)))
        return {}
