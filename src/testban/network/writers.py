"""Write a :class:`~testban.network.model.Network` as StationXML or CSS3.0 tables."""

from __future__ import annotations

from pathlib import Path

from testban.io.css30 import write_csv, write_flat
from testban.network.model import NAMESPACE, Network
from testban.network.readers import PathLike


def write_stationxml(network: Network, path: PathLike, net: str = "XX") -> Path:
    """Write StationXML; array attributes go in the ``css30`` namespace so they read back.

    ``net`` is the FDSN network code for stations that have none (e.g. from CSS3.0).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    network.to_inventory(net).write(str(path), format="STATIONXML", nsmap={"css30": NAMESPACE})
    return path


def write_css30(
    network: Network, target: PathLike, fmt: str = "flat", layout: str = "css3.0"
) -> list[Path]:
    """Write ``site``, ``sitechan``, ``affiliation``: flat files ``<target>.<table>``
    (``fmt="flat"``, ``layout`` ``"css3.0"`` or ``"idc"``) or ``<target>/<table>.csv``."""
    target = Path(target)
    out = []
    for table, rows in network.to_css30().items():
        if fmt == "csv":
            out.append(write_csv(rows, target / f"{table}.csv", table=table))
        else:
            path = target.with_name(f"{target.name}.{table}")
            out.append(write_flat(rows, path, layout, table=table))
    return out
