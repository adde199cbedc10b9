"""Gamma analysis on the becquerel sample spectra (issue 13, item 2).

PYTHONPATH=src TESTBAN_SHARED_DATA=/work/shared/data .venv/bin/python bench/spectra_analysis.py
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np

from testban.io.spectra.model import EnergyCalibration, Spectrum

SHARED = Path(os.environ.get("TESTBAN_SHARED_DATA", "/work/shared/data"))
SAMPLES = SHARED / "radionuclide" / "becquerel_samples"
FILES = (
    sorted(
        str(p) for p in SAMPLES.iterdir() if p.is_file() and p.suffix.lower() not in (".md", ".txt")
    )
    if SAMPLES.is_dir()
    else []
)


def read_becquerel(path: str) -> Spectrum:
    """A becquerel-readable file as a testban Spectrum (local stand-in until the readers of
    ``testban.io.spectra`` land): counts, times, the file's energy calibration and, for
    ORTEC SPE files, the FWHM calibration (SHAPE_CAL: FWHM in channels, polynomial in the
    channel number)."""
    import becquerel as bq

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        s = bq.Spectrum.from_file(path, verbose=False)
    counts = np.asarray(s.counts_vals, dtype=float)
    cal = EnergyCalibration()
    if s.is_calibrated:
        cal = EnergyCalibration(coefficients=tuple(float(c) for c in s.energy_cal.params))
    resolution: tuple[tuple[float, float], ...] = ()
    shape = (getattr(s, "attrs", {}) or {}).get("SHAPE_CAL")
    if cal.known and isinstance(shape, list) and len(shape) >= 2:
        coef = [float(v) for v in shape[1].split()]
        if any(coef):
            ch = np.linspace(0.1, 0.95, 8) * counts.size
            fw_ch = np.polyval(coef[::-1], ch)
            e = cal.energy(ch)
            gain = cal.energy(ch + 0.5) - cal.energy(ch - 0.5)
            resolution = tuple((float(a), float(b)) for a, b in zip(e, fw_ch * gain, strict=True))
    start = s.start_time.timestamp() if s.start_time is not None else None
    return Spectrum(
        counts=counts,
        live_time=float(s.livetime) if s.livetime else None,
        real_time=float(s.realtime) if s.realtime else None,
        energy_cal=cal,
        resolution=resolution,
        acquisition_start=start,
        source=Path(path).name,
    )


def inventory() -> dict[str, tuple[str, str]]:
    """{file name: (detector type, description)} from the samples' INVENTORY.md table."""
    out = {}
    for line in (SAMPLES / "INVENTORY.md").read_text(encoding="utf-8").splitlines():
        cells = [c.strip().strip("`") for c in line.strip().strip("|").split("|")]
        if len(cells) == 4 and cells[0] not in ("Filename",) and not cells[0].startswith(":"):
            out[cells[0]] = (cells[1], cells[3])
    return out


#: Sources named in the inventory / file (what "the source nuclides" are).
NAMED_SOURCES = {"SGM102432.spe": {"Ba-133", "Cs-137"}}
LINES = {"K-40": 1460.82, "Tl-208": 2614.511}


def _channel_at(cal: EnergyCalibration, energy: float, n: int) -> float:
    x = np.linspace(0.0, n, 20 * n + 1)
    return float(x[np.argmin(np.abs(cal.energy(x) - energy))])


def calibration_figures(spec: Spectrum) -> dict[str, float]:
    """Found minus file calibration (keV) at the channels where the file puts K-40 and
    Tl-208, and each calibration's own error at the fitted K-40 and Tl-208 peaks."""
    from testban.radionuclide.calibration import find_energy_calibration

    found = find_energy_calibration(np.asarray(spec.counts))
    out: dict[str, float] = {}
    if found.method != "found":
        return {"failed": 1.0}
    matched = {name: ch for name, ch, _, _ in found.matched}
    for (nuc, e), ref in zip(LINES.items(), ("K-40 1460.8", "Tl-208 2614.5"), strict=True):
        x = _channel_at(spec.energy_cal, e, spec.n_channels)
        out[f"found-file {nuc}"] = float(found.energy_cal.energy(x)) - e
        if ref in matched:
            out[f"file err {nuc}"] = float(spec.energy_cal.energy(matched[ref])) - e
            out[f"found err {nuc}"] = float(found.energy_cal.energy(matched[ref])) - e
    return out


def synthetic_figures(n_seeds: int = 20) -> dict[str, float]:
    """Activities recovered on synthetic HPGe spectra (tests/radionuclide/synth.py): share
    of (nuclide, seed) within 2σ, mean pull; MDC against Currie for an absent nuclide."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from testban.radionuclide.analysis import analyse_spectrum
    from tests.radionuclide.synth import make_spectrum

    sources = {"Cs-137": 0.3, "I-131": 0.5, "Ba-140": 1.5, "Co-60": 0.2}
    pulls, found, extra = [], 0, 0
    for seed in range(n_seeds):
        spec, _ = make_spectrum(sources, seed=100 + seed)
        res = analyse_spectrum(spec)
        for nr in res.nuclides:
            name = nr.identification.nuclide
            if name in sources and nr.activity is not None:
                found += 1
                pulls.append((nr.activity.activity - sources[name]) / nr.activity.activity_err)
            elif nr.identification.cls != "natural":
                extra += 1
    p = np.array(pulls)
    return {
        "spectra": n_seeds,
        "sources found": found / (len(sources) * n_seeds),
        "false anthropogenic": extra,
        "within 2σ": float(np.mean(np.abs(p) < 2)),
        "mean pull": float(p.mean()),
        "pull sd": float(p.std()),
    }


def main() -> None:
    from testban.radionuclide.analysis import analyse_spectrum

    inv = inventory()
    print("## Files\n")
    cal_rows = []
    for path in FILES:
        name = Path(path).name
        det, desc = inv.get(name, ("?", ""))
        try:
            spec = read_becquerel(path)
        except Exception as exc:  # the figure is "read or its problem named"
            print(f"- {name} ({det}): NOT READ: {type(exc).__name__}: {exc}")
            continue
        res = analyse_spectrum(spec)
        print(
            f"- {name} ({det}; {desc}): {spec.n_channels} ch, calibration "
            f"{res.calibration.method}, {len(res.peaks)} peaks, level "
            f"{res.categorisation.level if res.categorisation else '-'}"
            + (f"; problems: {'; '.join(res.problems)}" if res.problems else "")
        )
        for nr in res.nuclides:
            i = nr.identification
            inter = f", shares peaks with {', '.join(i.interferences)}" if i.interferences else ""
            print(
                f"    {i.nuclide:8s} {i.cls:13s} key {i.key_energy:8.2f} keV  "
                f"{i.significance:6.1f}σ (all lines {i.combined_significance:.1f}σ){inter}"
            )
        if name in NAMED_SOURCES:
            ids = {nr.identification.nuclide for nr in res.nuclides}
            want = NAMED_SOURCES[name]
            lib_cls = {nr.identification.nuclide: nr.identification.cls for nr in res.nuclides}
            wrong = {n for n in ids - want if lib_cls[n] != "natural"}
            print(
                f"    named sources {sorted(want)}: found {sorted(want & ids)}, "
                f"not there but identified {sorted(wrong)}"
            )
        if det == "HPGe" and spec.energy_cal.known:
            cal_rows.append((name, calibration_figures(spec)))
    print("\n## Calibration found vs file (HPGe), keV\n")
    for name, fig in cal_rows:
        print(f"- {name}: " + ", ".join(f"{k} {v:+.2f}" for k, v in fig.items()))
    print("\n## Synthetic activities\n")
    for k, v in synthetic_figures().items():
        print(f"- {k}: {v:.3g}" if isinstance(v, float) else f"- {k}: {v}")


if __name__ == "__main__":
    main()
