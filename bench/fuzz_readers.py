"""Reader fuzzing over real files of ../shared/data: outcome counts per format.

    PYTHONPATH=src python bench/fuzz_readers.py --mutants 200 [--seed 20261207] [--only ims20]

Each format's real file is copied into a temporary folder (never written in place) and
mutated by the seeded generator of ``tests/fuzz/mutate.py`` (bit flips, truncation,
overwritten ranges, absurd numbers, empty file, a file of another format); damage is
confined to one block where the format has blocks. Every mutant is read in a worker
process with a per-mutant timeout, so a crash (signal) or hang is counted and the worker
restarted. Prints a markdown table: clean, problem reported, traceback, crash, hang,
mutants that lost undamaged blocks, silent losses (less data, nothing reported), and clean
reads that differ from the original's (damage no check of the format can see).
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.fuzz.cases import formats  # noqa: E402
from tests.fuzz.mutate import mutants  # noqa: E402

DATA = Path(os.environ.get("TESTBAN_SHARED_DATA", ROOT.parent / "shared" / "data"))

#: format -> (source file under ../shared/data, companion files copied next to it)
SOURCES: dict[str, tuple[str, tuple[str, ...]]] = {
    "ims20": ("arrays/cmar_20050511/20050511T000948.ims", ()),
    "mseed": ("continuous/uln_20150718/IU_ULN_2015-07-18T02.mseed", ()),
    "sac": ("arrays/arces_20100122/IM.ARA0.00.sz.SAC", ()),
    "wfdisc": ("continuous/mlr_20100520/wfdisc_gms_s4.txt", ("continuous/mlr_20100520/MLR0.w",)),
    "stationxml": ("formats/obspy/IM_IL31__BHZ.xml", ()),
    "geom": ("stations/array_geometry/CMAR.geom", ()),
    "csv": ("idc_ueb_2010140/arrival.csv", ()),
    "ims10": ("formats/obspy/iaspei_ims1.0/ipe202409sel_ims.txt", ()),
    "quakeml": ("formats/obspy/quakeml_1.2_quarryblast.xml", ()),
}
OTHER = {"ims20": "mseed", "mseed": "ims20", "sac": "geom", "wfdisc": "csv",
         "stationxml": "quakeml", "geom": "sac", "csv": "ims20", "ims10": "quakeml",
         "quakeml": "stationxml"}  # fmt: skip


def original(name: str) -> bytes:
    """The real file's bytes; the wfdisc is cut to the rows whose data file is shipped."""
    data = (DATA / SOURCES[name][0]).read_bytes()
    if name == "wfdisc":
        data = b"".join(ln for ln in data.splitlines(keepends=True) if b" MLR0.w " in ln)
    return data


def prepare(name: str, folder: Path) -> bytes:
    """Copy the companions into ``folder``; return the original bytes of the target."""
    folder.mkdir(parents=True, exist_ok=True)
    for comp in SOURCES[name][1]:
        shutil.copy(DATA / comp, folder / Path(comp).name)
    return original(name)  # wfdisc rows name a dir that is not there: found by dfile


def worker(conn) -> None:  # type: ignore[no-untyped-def]
    """Judge mutants sent over ``conn``: ("setup", name, folder, data) then mutants."""
    import warnings

    from tests.fuzz.harness import baseline, judge

    warnings.simplefilter("ignore")
    state: dict = {}
    while True:
        msg = conn.recv()
        if msg[0] == "setup":
            _, name, folder, data = msg
            fmt = formats()[name]
            blocks, size = baseline(fmt, Path(folder), data)
            units = fmt.read(fmt.path(Path(folder)))[0]  # what the original gives
            state = {"fmt": fmt, "folder": Path(folder), "blocks": blocks, "size": size,
                     "units": units}  # fmt: skip
            conn.send(len(blocks))
        elif msg[0] == "judge":
            v = judge(state["fmt"], state["folder"], msg[1], state["blocks"], state["size"],
                      state["units"])  # fmt: skip
            conn.send((v.outcome, v.lost, v.silent, v.altered, v.detail))
        else:
            return


class Pool:
    """One worker process, restarted after a crash or hang."""

    def __init__(self) -> None:
        self.ctx = mp.get_context("fork")
        self.proc = None
        self.setup_msg: tuple | None = None

    def _spawn(self) -> None:
        self.conn, child = self.ctx.Pipe()
        self.proc = self.ctx.Process(target=worker, args=(child,), daemon=True)
        self.proc.start()

    def start(self) -> None:
        """A fresh worker, set up for the current format."""
        self._spawn()
        if self.setup_msg is not None:
            self.conn.send(self.setup_msg)
            self.conn.recv()

    def setup(self, *msg) -> int:  # type: ignore[no-untyped-def]
        """Set the worker up for one format; returns the number of blocks."""
        self.setup_msg = ("setup", *msg)
        if self.proc is None or not self.proc.is_alive():
            self._spawn()
        self.conn.send(self.setup_msg)
        return self.conn.recv()

    def judge(self, mutant, timeout: float) -> tuple:  # type: ignore[no-untyped-def]
        self.conn.send(("judge", mutant))
        if self.conn.poll(timeout):
            try:
                return self.conn.recv()
            except EOFError:
                pass
        alive = self.proc.is_alive()
        if alive:
            self.proc.kill()
        self.proc.join()
        code = self.proc.exitcode
        self.start()
        if alive:
            return ("hang", 0, False, False, f"no answer in {timeout} s")
        return ("crash", 0, False, False, f"worker exit code {code}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mutants", type=int, default=200, help="mutants per format")
    ap.add_argument("--seed", type=int, default=20261207)
    ap.add_argument("--timeout", type=float, default=60.0, help="seconds per mutant")
    ap.add_argument("--only", nargs="*", help="formats to run (default all)")
    ap.add_argument("--show", type=int, default=3, help="failures listed per format")
    args = ap.parse_args()
    if not DATA.is_dir():
        sys.exit(f"reference data not found at {DATA}")
    names = args.only or list(SOURCES)
    pool = Pool()
    rows, notes = [], []
    with tempfile.TemporaryDirectory(prefix="fuzz_readers_") as tmp:
        for name in names:
            t0 = time.perf_counter()
            folder = Path(tmp) / name
            data = prepare(name, folder)
            other = original(OTHER[name])
            n_blocks = pool.setup(name, str(folder), data)
            regions = None
            if n_blocks:
                from tests.fuzz.harness import baseline

                blocks, _ = baseline(formats()[name], folder, data)
                regions = [spans[-1] for spans, _ in blocks]
            counts: Counter[str] = Counter()
            for i, m in enumerate(mutants(data, args.mutants, args.seed, regions=regions,
                                          other=other)):  # fmt: skip
                outcome, lost, silent, altered, detail = pool.judge(m, args.timeout)
                counts[outcome] += 1
                counts["lost"] += bool(lost)
                counts["silent"] += silent
                counts["altered"] += altered
                if outcome in ("traceback", "crash", "hang") or lost or silent:
                    if sum(1 for n in notes if n.startswith(name)) < args.show:
                        notes.append(f"{name} #{i} {m.kind} ({m.note}): {outcome} {detail}")
            dt = time.perf_counter() - t0
            rows.append((name, SOURCES[name][0], args.mutants, n_blocks, counts, dt))
            print(f"{name}: {dict(counts)} in {dt:.0f} s", file=sys.stderr, flush=True)
    if pool.proc is not None:
        pool.conn.send(("stop",))
    head = ("| format | file | mutants | blocks | clean | problem reported | traceback | crash "
            "| hang | lost undamaged blocks | silent loss | clean but altered | s |")  # fmt: skip
    print(head)
    print("|" + "---|" * 13)
    for name, src, n, nb, c, dt in rows:
        print(f"| {name} | {src} | {n} | {nb} | {c['clean']} | {c['problem']} | "
              f"{c['traceback']} | {c['crash']} | {c['hang']} | {c['lost']} | {c['silent']} "
              f"| {c['altered']} | {dt:.0f} |")  # fmt: skip
    for note in notes:
        print(f"- {note}")


if __name__ == "__main__":
    main()
