"""CSS3.0 tables as CSV (testban's interchange format) and as fixed-width flat files.

>>> from testban.io.css30 import read_table, write_csv
>>> arrivals = read_table("idc_ueb_2010140/arrival.csv")     # doctest: +SKIP
>>> write_flat(arrivals, "out/bulletin.arrival", layout="idc")  # doctest: +SKIP
"""

from testban.io.css30.tables import (
    TableError,
    detect_layout,
    read_csv,
    read_flat,
    read_records,
    read_table,
    read_tables,
    rows_of,
    write_csv,
    write_flat,
    write_tables,
)

__all__ = [
    "TableError",
    "detect_layout",
    "read_csv",
    "read_flat",
    "read_records",
    "read_table",
    "read_tables",
    "rows_of",
    "write_csv",
    "write_flat",
    "write_tables",
]
