"""Scoring a bulletin against a reference: event matching, recall/precision, association F1.

>>> from testban.compare import compare
>>> report = compare("out/bulletin", "idc_ueb_2010140", max_km=100, max_dt=20)  # doctest: +SKIP
>>> print(report.text())                                                          # doctest: +SKIP
"""

from testban.compare.core import Comparison, Match, compare, compare_records

__all__ = ["Comparison", "Match", "compare", "compare_records"]
