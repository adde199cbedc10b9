"""IMS2.0 / GSE2.x waveform data messages: a CM6 decoder and a reader that never crashes."""

from testban.io.ims20.cm6 import CM6Error, decode
from testban.io.ims20.core import (
    StationInfo,
    WaveformHeader,
    checksum,
    checksum_matches,
    is_ims20,
    parse_ims20,
    parse_sta2,
    parse_wid2,
    read_ims20,
    scan_ims20_headers,
)

__all__ = [
    "CM6Error",
    "StationInfo",
    "WaveformHeader",
    "checksum",
    "checksum_matches",
    "decode",
    "is_ims20",
    "parse_ims20",
    "parse_sta2",
    "parse_wid2",
    "read_ims20",
    "scan_ims20_headers",
]
