"""Station processing: filter bank + STA/LTA detection on channels and array beams.

>>> from testban.detect import detect_stream, detect_paths, DetectConfig
>>> arrivals, amplitudes, problems = detect_stream(stream, network)        # doctest: +SKIP
>>> detect_paths(["data/"], "stations.xml", "out/")                        # doctest: +SKIP
"""

from testban.detect.beam import beam, beam_delays, beam_names, delay_and_sum, slowness_grid
from testban.detect.config import (
    Band,
    BeamRing,
    DetectConfig,
    default_path,
    from_toml,
    read_config,
    to_toml,
    write_config,
)
from testban.detect.filters import band_sos, bandpass, bank_sos, usable_bands
from testban.detect.qc import ChannelQuality, assess, clean, dilate
from testban.detect.stalta import bank_sta_lta, recursive_sta_lta
from testban.detect.station import AUTH, detect_stream
from testban.detect.tables import detect_paths
from testban.detect.trigger import Trigger, pick_triggers, trigger_onoff

__all__ = [
    "AUTH",
    "Band",
    "BeamRing",
    "ChannelQuality",
    "DetectConfig",
    "Trigger",
    "assess",
    "band_sos",
    "bandpass",
    "bank_sos",
    "bank_sta_lta",
    "beam",
    "beam_delays",
    "beam_names",
    "clean",
    "default_path",
    "delay_and_sum",
    "detect_paths",
    "detect_stream",
    "dilate",
    "from_toml",
    "pick_triggers",
    "read_config",
    "recursive_sta_lta",
    "slowness_grid",
    "to_toml",
    "trigger_onoff",
    "usable_bands",
    "write_config",
]
