"""The radionuclide tables, named after the IDC's radionuclide database (GARDS).

The IDC keeps its radionuclide results in the ``GARDS_*`` tables of its database (sample
data, peaks, nuclides and lines identified, categorisation, beta–gamma isotope
concentrations). These are testban's versions of them, lower-case and with CSS3.0-like
columns declared with the same :func:`~testban.records.css30.col` machinery, so that the
store (:mod:`testban.store.schema`) and CSV/flat-file I/O derive from them as from the
CSS3.0 tables. Columns are a useful subset of the IDC's, not a copy of them.

Units follow the IDC's reporting: activities in Bq; particulate activity concentrations in
µBq/m³; xenon concentrations in mBq/m³; energies in keV; times in epoch seconds; live and
real times in s. ``gards_air_conc`` (testban's own) holds published air-concentration
series (e.g. Chernobyl 1986) in Bq/m³, as such series are published.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from testban.records.css30 import NA_STR, NA_TIME, Record, col

_ID = {"idc": "i9"}


@dataclass(slots=True)
class GardsSampleData(Record):
    """One spectrum / sample (``gards_sample_data``): where, when, how long, how much air.

    ``data_type`` is the IMS2.0 data type (``SAMPLEPHD``, ``BLANKPHD``, ``CALIBPHD``,
    ``QCPHD``, ``DETBKPHD``) or ``SPECTRUM`` for a spectrum from another format;
    ``spectral_qualifier`` is ``FULL`` or ``PREL``; ``srid`` the sample reference id;
    ``quantity`` the air volume (m³, ``qunit`` ``m3``) or the sample mass/volume.
    ``dir``/``dfile`` name the file it was read from (as in ``wfdisc``).
    """

    table: ClassVar[str] = "gards_sample_data"
    sample_id: int = col(-1, "i9")
    sta: str = col(NA_STR, "a6")
    detector: str = col(NA_STR, "a12")
    data_type: str = col(NA_STR, "a10")
    spectral_qualifier: str = col(NA_STR, "a4")
    srid: str = col(NA_STR, "a32")
    collect_start: float = col(NA_TIME, "f17.5")
    collect_stop: float = col(NA_TIME, "f17.5")
    acquisition_start: float = col(NA_TIME, "f17.5")
    acquisition_real_sec: float = col(-1.0, "f14.3")
    acquisition_live_sec: float = col(-1.0, "f14.3")
    quantity: float = col(-1.0, "f14.4")
    qunit: str = col(NA_STR, "a4")
    nchan: int = col(-1, "i8")
    dir: str = col(NA_STR, "a64")
    dfile: str = col(NA_STR, "a64")
    auth: str = col(NA_STR, "a15")
    lddate: str = col(NA_STR, "a17")


@dataclass(slots=True)
class GardsPeaks(Record):
    """One peak found in a sample's spectrum (``gards_peaks``).

    ``centroid``/``left_chan``/``width`` in channels, ``energy``/``fwhm`` in keV, ``area``
    the net peak area (counts) over the fitted background ``back_count``; uncertainties
    are one standard deviation. ``lc`` is the decision threshold on the area (counts),
    ``peak_sig`` the significance (area / its σ); ``nuclide`` names the nuclide the peak
    was assigned to (``-`` when none) and ``ided`` is 1 when it was.
    """

    table: ClassVar[str] = "gards_peaks"
    sample_id: int = col(-1, "i9")
    peak_id: int = col(-1, "i8")
    centroid: float = col(-1.0, "f12.4")
    centroid_err: float = col(-1.0, "f10.4")
    energy: float = col(-1.0, "f12.4")
    energy_err: float = col(-1.0, "f10.4")
    left_chan: int = col(-1, "i8")
    width: int = col(-1, "i8")
    fwhm: float = col(-1.0, "f10.4")
    fwhm_err: float = col(-1.0, "f10.4")
    area: float = col(-1.0, "f16.3")
    area_err: float = col(-1.0, "f14.3")
    back_count: float = col(-1.0, "f16.3")
    back_uncer: float = col(-1.0, "f14.3")
    efficiency: float = col(-1.0, "f12.8")
    eff_error: float = col(-1.0, "f12.8")
    lc: float = col(-1.0, "f14.3")
    peak_sig: float = col(-1.0, "f10.3")
    ided: int = col(0, "i2")
    nuclide: str = col(NA_STR, "a8")
    auth: str = col(NA_STR, "a15")
    lddate: str = col(NA_STR, "a17")


@dataclass(slots=True)
class GardsNuclIded(Record):
    """One nuclide looked for in a sample (``gards_nucl_ided``), identified or not.

    ``activ`` (Bq, decay-corrected to collection stop) and ``conc`` (µBq/m³) with their
    one-σ uncertainties, ``lc`` the decision threshold and ``mda``/``mdc`` the minimum
    detectable activity/concentration (Currie / ISO 11929), ``key_energy`` the key line
    (keV), ``halflife`` in s, ``type`` e.g. ``FISSION``, ``ACTIVATION``, ``NATURAL``,
    ``COSMIC``; ``nid_flag`` 1 when identified, 0 when only its MDC is reported.
    """

    table: ClassVar[str] = "gards_nucl_ided"
    sample_id: int = col(-1, "i9")
    name: str = col(NA_STR, "a8")
    type: str = col(NA_STR, "a12")
    halflife: float = col(-1.0, "f17.3")
    activ: float = col(-1.0, "f16.6")
    activ_err: float = col(-1.0, "f16.6")
    conc: float = col(-1.0, "f16.4")
    conc_err: float = col(-1.0, "f16.4")
    lc: float = col(-1.0, "f16.4")
    mda: float = col(-1.0, "f16.6")
    mdc: float = col(-1.0, "f16.4")
    key_energy: float = col(-1.0, "f12.4")
    nid_flag: int = col(0, "i2")
    auth: str = col(NA_STR, "a15")
    lddate: str = col(NA_STR, "a17")


@dataclass(slots=True)
class GardsNuclLinesIded(Record):
    """One gamma line of a nuclide looked for in a sample (``gards_nucl_lines_ided``).

    ``energy`` (keV) and ``abundance`` (emission probability per decay, 0–1) from the
    library; ``peak_id`` the peak it was matched to (-1 none); ``activ`` (Bq) the activity
    this line alone gives, ``mda`` its minimum detectable activity; ``key_flag`` 1 for the
    nuclide's key line.
    """

    table: ClassVar[str] = "gards_nucl_lines_ided"
    sample_id: int = col(-1, "i9")
    name: str = col(NA_STR, "a8")
    energy: float = col(-1.0, "f12.4")
    abundance: float = col(-1.0, "f10.6")
    key_flag: int = col(0, "i2")
    peak_id: int = col(-1, "i8")
    activ: float = col(-1.0, "f16.6")
    activ_err: float = col(-1.0, "f16.6")
    mda: float = col(-1.0, "f16.6")
    efficiency: float = col(-1.0, "f12.8")
    nid_flag: int = col(0, "i2")
    auth: str = col(NA_STR, "a15")
    lddate: str = col(NA_STR, "a17")


@dataclass(slots=True)
class GardsSampleCat(Record):
    """The IDC categorisation of a sample (``gards_sample_cat``), per nuclide.

    ``category`` is the level 1–5 (1 natural background, 2 normal anthropogenic,
    3 anomalous anthropogenic, 4 one anomalous treaty-relevant fission/activation product,
    5 several); the row with ``name`` ``SAMPLE`` is the sample's overall level.
    ``conc`` (µBq/m³) is the value categorised and ``lower_bound``/``upper_bound`` the
    station's normal range it was tested against; ``reason`` says why in words.
    """

    table: ClassVar[str] = "gards_sample_cat"
    sample_id: int = col(-1, "i9")
    name: str = col(NA_STR, "a8")
    category: int = col(-1, "i2")
    conc: float = col(-1.0, "f16.4")
    lower_bound: float = col(-1.0, "f16.4")
    upper_bound: float = col(-1.0, "f16.4")
    reason: str = col(NA_STR, "a160")
    auth: str = col(NA_STR, "a15")
    lddate: str = col(NA_STR, "a17")


@dataclass(slots=True)
class GardsBgIsotopeConcs(Record):
    """A xenon isotope's activity concentration in a noble-gas sample
    (``gards_bg_isotope_concs``, after the IDC's beta–gamma results table).

    ``name`` is ``XE131M``, ``XE133M``, ``XE133`` or ``XE135``; ``conc``/``conc_err``
    (one σ), ``mdc``, ``lc`` (decision threshold) in mBq/m³; ``nid_flag`` 1 when detected
    (above ``lc``).
    """

    table: ClassVar[str] = "gards_bg_isotope_concs"
    sample_id: int = col(-1, "i9")
    name: str = col(NA_STR, "a8")
    conc: float = col(-999.0, "f14.5")
    conc_err: float = col(-1.0, "f14.5")
    mdc: float = col(-1.0, "f14.5")
    lc: float = col(-1.0, "f14.5")
    nid_flag: int = col(0, "i2")
    auth: str = col(NA_STR, "a15")
    lddate: str = col(NA_STR, "a17")


@dataclass(slots=True)
class GardsAirConc(Record):
    """A published air-concentration measurement at a site (``gards_air_conc``; testban's
    own, for series such as the Chernobyl 1986 I-131 data that come without spectra).

    ``location`` names the site, ``seq`` numbers the samples of one site and day;
    ``collect_start``/``collect_stop`` bound the sampling (epoch s; a whole UTC day when
    only the date is published); ``conc`` in Bq/m³ (``conc_err`` -1 when unpublished).
    """

    table: ClassVar[str] = "gards_air_conc"
    location: str = col(NA_STR, "a24")
    lat: float = col(-999.0, "f9.4")
    lon: float = col(-999.0, "f9.4")
    collect_start: float = col(NA_TIME, "f17.5")
    collect_stop: float = col(NA_TIME, "f17.5")
    seq: int = col(1, "i4")
    name: str = col(NA_STR, "a8")
    conc: float = col(-1.0, "f16.6")
    conc_err: float = col(-1.0, "f16.6")
    auth: str = col(NA_STR, "a15")
    lddate: str = col(NA_STR, "a17")


#: The radionuclide tables by name (merged into :data:`testban.records.css30.TABLES`).
GARDS_TABLES: dict[str, type[Record]] = {
    cls.table: cls
    for cls in (
        GardsSampleData, GardsPeaks, GardsNuclIded, GardsNuclLinesIded, GardsSampleCat,
        GardsBgIsotopeConcs, GardsAirConc,
    )
}  # fmt: skip

#: Tables of a sample (keyed by ``sample_id``), replaced together when it is re-loaded.
SAMPLE_CHILDREN = (
    "gards_peaks",
    "gards_nucl_ided",
    "gards_nucl_lines_ided",
    "gards_sample_cat",
    "gards_bg_isotope_concs",
)
