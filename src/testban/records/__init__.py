"""CSS3.0 records: the rows every stage reads and writes.

One dataclass per CSS3.0 table (``Site``, ``Sitechan``, ``Affiliation``, ``Wfdisc``,
``Arrival``, ``Assoc``, ``Origin``, ``Origerr``, ``Netmag``, ``Stamag``, ``Amplitude``,
``Event``, and testban's ``Screen`` and ``Evchar``), with the column names, null values
and external formats of the CSS3.0 schema.
I/O lives in :mod:`testban.io.css30`.
"""

from testban.records.css30 import (
    TABLES,
    Affiliation,
    Amplitude,
    Arrival,
    Assoc,
    Column,
    Evchar,
    Event,
    Netmag,
    Origerr,
    Origin,
    Record,
    Screen,
    Site,
    Sitechan,
    Stamag,
    Wfdisc,
    columns,
    jdate,
    rounded,
    table_of,
    to_arrays,
)
from testban.records.gards import GARDS_TABLES

TABLES.update(GARDS_TABLES)  # the radionuclide (GARDS) tables share the CSS3.0 machinery

__all__ = [
    "TABLES",
    "Affiliation",
    "Amplitude",
    "Arrival",
    "Assoc",
    "Column",
    "Event",
    "Netmag",
    "Origerr",
    "Evchar",
    "Origin",
    "Record",
    "Screen",
    "Site",
    "Sitechan",
    "Stamag",
    "Wfdisc",
    "columns",
    "jdate",
    "rounded",
    "table_of",
    "to_arrays",
]
