"""Orchestration: the stages joined into runs (windows, I/O, progress live here)."""

from testban.pipeline.demo import DemoSummary, run_demo

__all__ = ["DemoSummary", "run_demo"]
