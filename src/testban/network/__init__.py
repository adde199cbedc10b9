"""Station metadata: one :class:`Network` model read from StationXML, CSS3.0, geometry, CSV.

>>> from testban.network import read_network, ims
>>> net, problems = read_network(["array_yellowknife.xml", "YKA.geom"])  # doctest: +SKIP
>>> ims().stations("primary")[:3]                                       # doctest: +SKIP
"""

from testban.network.arrays import (
    ArrayRule,
    apply_array_map,
    find_arrays,
    group_arrays,
    parse_array_spec,
)
from testban.network.ims import default_ims_source, ims
from testban.network.model import (
    KINDS,
    Channel,
    Network,
    Station,
    UnknownChannel,
    UnknownStation,
    computed_offsets,
    local_offsets,
)
from testban.network.readers import (
    read_array_geometry,
    read_css30,
    read_network,
    read_station_csv,
    read_stationxml,
)
from testban.network.response import calibrated, evaluate, read_array_response
from testban.network.writers import write_css30, write_stationxml

__all__ = [
    "KINDS",
    "ArrayRule",
    "Channel",
    "Network",
    "Station",
    "UnknownChannel",
    "UnknownStation",
    "apply_array_map",
    "calibrated",
    "computed_offsets",
    "default_ims_source",
    "evaluate",
    "find_arrays",
    "group_arrays",
    "ims",
    "local_offsets",
    "parse_array_spec",
    "read_array_geometry",
    "read_array_response",
    "read_css30",
    "read_network",
    "read_station_csv",
    "read_stationxml",
    "write_css30",
    "write_stationxml",
]
