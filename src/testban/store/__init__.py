"""The store: CSS3.0 tables and run state in SQLite (default) or PostgreSQL.

>>> from testban.store import open_store, replace_window, query_events
>>> store = open_store("out/testban.sqlite")                          # doctest: +SKIP
>>> with store.session() as s:                                        # doctest: +SKIP
...     replace_window(s, t0, t1, {"origin": origins, "assoc": assocs}, auth="testban")
...     events = query_events(s, starttime=t0, minmagnitude=4.0, limit=10)

The tables are derived from :mod:`testban.records.css30` (:mod:`testban.store.schema`).
"""

from testban.store.db import (
    ORIGIN_CHILDREN,
    RunRow,
    Store,
    StoreError,
    count_rows,
    finish_run,
    insert_tables,
    load_bulletin,
    next_ids,
    open_engine,
    open_store,
    read_rows,
    replace_origin_rows,
    runs,
    start_run,
    store_url,
    window_done,
)
from testban.store.query import (
    ORDERINGS,
    StoredEvent,
    count_events,
    great_circle,
    preferred_magnitude,
    query_events,
)
from testban.store.samples import (
    find_sample,
    read_sample,
    sample_data_row,
    store_air_concentrations,
    store_sample,
)
from testban.store.schema import (
    INDEXES,
    PRIMARY_KEYS,
    TABLES_SQL,
    lastid_table,
    metadata,
    record_to_row,
    row_to_record,
    run_table,
)
from testban.store.windows import (
    Replaced,
    atomic,
    keep_ids,
    origin_key,
    replace_arrivals,
    replace_events,
    replace_window,
    taken_arrivals,
    window_detections,
)

__all__ = [
    "INDEXES",
    "ORDERINGS",
    "ORIGIN_CHILDREN",
    "PRIMARY_KEYS",
    "TABLES_SQL",
    "Replaced",
    "RunRow",
    "Store",
    "StoreError",
    "StoredEvent",
    "count_events",
    "count_rows",
    "finish_run",
    "great_circle",
    "insert_tables",
    "lastid_table",
    "metadata",
    "next_ids",
    "open_engine",
    "open_store",
    "preferred_magnitude",
    "query_events",
    "load_bulletin",
    "read_rows",
    "replace_origin_rows",
    "record_to_row",
    "replace_arrivals",
    "replace_window",
    "row_to_record",
    "run_table",
    "runs",
    "start_run",
    "store_url",
    "window_done",
    "atomic",
    "keep_ids",
    "origin_key",
    "replace_events",
    "taken_arrivals",
    "window_detections",
    "find_sample",
    "read_sample",
    "sample_data_row",
    "store_air_concentrations",
    "store_sample",
]
