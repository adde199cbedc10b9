"""The International Monitoring System as a :class:`~testban.network.model.Network`.

The IMS station tables are not shipped with testban (they are the IDC's); :func:`ims`
reads them from the CSS3.0 tables in the shared reference data, or from any CSS3.0
table prefix or directory passed as ``source``.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

from obspy import UTCDateTime

from testban.network.model import Network
from testban.network.readers import PathLike, read_css30

#: Where the IDC station tables lie inside the shared reference data.
IMS_TABLES = Path("stations") / "ims_css30" / "ueb_test"


def shared_data() -> Path:
    """The shared reference data folder: ``$TESTBAN_SHARED_DATA`` or ``../shared/data``."""
    env = os.environ.get("TESTBAN_SHARED_DATA")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[3].parent / "shared" / "data"


def default_ims_source() -> Path:
    """The default CSS3.0 prefix of the IMS tables (may not exist)."""
    return shared_data() / IMS_TABLES


def ims(source: PathLike | None = None, at: UTCDateTime | None = None) -> Network:
    """The IMS network (stations, arrays, channels, IMS affiliations) from CSS3.0 tables.

    ``source`` defaults to the IDC 2019 tables in the shared data; ``at`` picks the
    station epochs valid then (default: each station's latest epoch). Results are cached,
    so repeated calls are cheap. Use :func:`~testban.network.readers.read_css30` to see
    the problems met while reading (e.g. response files that are not shipped).
    """
    path = Path(source) if source is not None else default_ims_source()
    if not (path.is_dir() or path.with_name(f"{path.name}.site").is_file()):
        raise FileNotFoundError(
            f"IMS station tables not found at {path}: pass ims(source=...) a CSS3.0 flat-file "
            "prefix (e.g. .../stations/ims_css30/ueb_test, with .site, .sitechan, "
            ".affiliation) or a directory of site.csv/sitechan.csv/affiliation.csv, or set "
            "TESTBAN_SHARED_DATA to the shared reference data folder"
        )
    return _cached(str(path.resolve()), None if at is None else UTCDateTime(at).timestamp)


@functools.lru_cache(maxsize=8)
def _cached(path: str, timestamp: float | None) -> Network:
    at = None if timestamp is None else UTCDateTime(timestamp)
    network, _ = read_css30(path, at)
    network.name = "IMS"
    return network
