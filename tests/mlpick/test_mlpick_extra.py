"""The ML picker is optional: without torch/seisbench/pickerxl the package still imports and
every entry point raises an ImportError naming the ``ml`` extra (runs with or without it)."""

from __future__ import annotations

import sys

import pytest
from obspy import Stream

import testban.mlpick as mlpick


@pytest.fixture
def no_ml_stack(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("torch", "seisbench", "pickerxl"):
        monkeypatch.setitem(sys.modules, name, None)


@pytest.mark.usefixtures("no_ml_stack")
@pytest.mark.parametrize(
    "call",
    [mlpick.load_model, mlpick.weights_path, lambda: mlpick.pick_window(Stream())],
    ids=["load_model", "weights_path", "pick_window"],
)
def test_missing_stack_names_the_extra(call) -> None:
    with pytest.raises(ImportError, match=r"testban\[ml\]") as info:
        call()
    assert "torch" in str(info.value)


def test_package_imports_without_touching_torch() -> None:
    assert mlpick.WINDOW == 5700
    assert mlpick.MODEL_RATE == 100.0
