"""One entry point for gamma spectra: :func:`read_spectra` picks the reader by content.

IMS2.0 PHD messages and N42.42 XML are recognised by their first bytes whatever their
name; the binary and ORTEC formats go to becquerel by suffix (``.spe``, ``.spc``, ``.cnf``,
``.h5``). Every reader reports damage as :class:`~testban.io.problems.ReadProblem` and
never raises on bad content.
"""

from __future__ import annotations

import os
from pathlib import Path

from testban.io.problems import ReadProblem
from testban.io.spectra.bqfiles import BECQUEREL_SUFFIXES, read_becquerel
from testban.io.spectra.model import Spectrum
from testban.io.spectra.n42 import is_n42, read_n42
from testban.io.spectra.phd import is_phd, read_phd

__all__ = ["spectrum_format", "read_spectra"]

#: Bytes read to recognise a format.
HEAD = 8192


def spectrum_format(path: str | os.PathLike[str]) -> str:
    """``"phd"``, ``"n42"``, ``"becquerel"`` or ``""`` (unknown) for the file at ``path``."""
    p = Path(path)
    with open(p, "rb") as f:
        head = f.read(HEAD)
    if is_n42(head):
        return "n42"
    if is_phd(head):
        return "phd"
    suffix = p.suffix.lower()
    if suffix in BECQUEREL_SUFFIXES:
        return "becquerel"
    if suffix in (".n42", ".xml"):
        return "n42"
    if suffix in (".phd", ".ims", ".msg"):
        return "phd"
    return ""


def read_spectra(
    path: str | os.PathLike[str], problems: list[ReadProblem] | None = None
) -> list[Spectrum]:
    """Every spectrum in the file at ``path`` (a list: N42 and IMS2.0 files hold several).

    Problems (unreadable file, damaged blocks, unknown format) are appended to
    ``problems``; what could be read is returned.
    """
    out = problems if problems is not None else []
    name = os.fspath(path)
    try:
        kind = spectrum_format(path)
    except OSError as exc:
        out.append(ReadProblem(name, f"cannot read: {exc}"))
        return []
    if kind == "n42":
        return read_n42(path, out)
    if kind == "phd":
        return read_phd(path, out)
    if kind == "becquerel":
        return read_becquerel(path, out)
    out.append(
        ReadProblem(
            name, "not a spectrum format testban reads (IMS2.0 PHD, N42.42, .spe/.spc/.cnf/.h5)"
        )
    )
    return []
