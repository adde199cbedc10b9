"""Lazy, per-process loading of the PickerXL weights into SeisBench's PhaseNet class.

The ``pickerxl`` wheel (GPL-3.0-or-later) ships a plain PyTorch ``state_dict`` at
``pickerxl/model/large.ckpt``: a PhaseNet U-net with four times SeisBench's default filter
count (``filter_factor=4``), classes noise/P/S in that order, trained on 57 s three-component
STEAD windows at 100 Hz, components in E, N, Z order, each window scaled by its largest
absolute sample over all components. Two details differ from SeisBench's own PhaseNet and
are restored here so that the network computes exactly what PickerXL trained: batch-norm
epsilon 1e-5 (SeisBench: 1e-3), and no one-sample trim after each up-sampling convolution
(undone by padding that convolution's output back, see :func:`_undo_up_trim`).

Nothing is downloaded: SeisBench's ``from_pretrained`` is never called.
"""

from __future__ import annotations

import functools
import importlib
import importlib.resources
from pathlib import Path
from typing import Any

#: Sampling rate the model was trained at (Hz); input is resampled to it.
MODEL_RATE = 100.0
#: Samples per model window (57 s at 100 Hz), as trained.
WINDOW = 5700
#: What to install when the ML stack is missing.
EXTRA_HINT = (
    "the optional ML picker needs the 'ml' extra: pip install 'testban[ml]' "
    "(torch, seisbench and pickerxl; install a CPU build of torch first where no GPU is used)"
)
_REQUIRED = ("torch", "seisbench", "pickerxl")


def require() -> None:
    """Raise :class:`ImportError` naming the ``ml`` extra if torch/seisbench/pickerxl are absent."""
    missing = []
    for name in _REQUIRED:
        try:
            importlib.import_module(name)
        except ImportError:
            missing.append(name)
    if missing:
        raise ImportError(f"testban.mlpick: {', '.join(missing)} not installed; {EXTRA_HINT}")


def weights_path() -> Path:
    """Path of the weight file inside the installed ``pickerxl`` wheel."""
    require()
    path = Path(str(importlib.resources.files("pickerxl").joinpath("model", "large.ckpt")))
    if not path.is_file():
        raise FileNotFoundError(
            f"no PickerXL weights at {path}; testban.mlpick expects pickerxl 0.2.3's layout"
        )
    return path


def _undo_up_trim(module: Any, inputs: Any, output: Any) -> Any:
    """Forward hook on each up-sampling convolution: pad (1, 2) samples back, so SeisBench's
    ``x[:, :, 1:-2]`` trim leaves the full output that PickerXL's skip merge centre-crops."""
    import torch.nn.functional as F

    return F.pad(output, (1, 2))


@functools.cache
def _build() -> Any:
    import torch
    from seisbench.models import PhaseNet

    class PickerXL(PhaseNet):
        """SeisBench PhaseNet with PickerXL's input scaling (one peak over all components)."""

        def annotate_batch_pre(self, batch: torch.Tensor, argdict: dict[str, Any]) -> Any:
            batch = batch - batch.mean(dim=-1, keepdim=True)
            peak = batch.abs().amax(dim=(-2, -1), keepdim=True)
            return batch / (peak + 1e-10)

    model = PickerXL(
        in_channels=3,
        classes=3,
        phases="NPS",
        sampling_rate=MODEL_RATE,
        filter_factor=4,
        component_order="ENZ",
    )
    state = torch.load(weights_path(), map_location="cpu", weights_only=True)
    model.load_state_dict(state, strict=True)
    for module in model.modules():
        if isinstance(module, torch.nn.BatchNorm1d):
            module.eps = 1e-5
    for branch in model.up_branch:
        branch[0].register_forward_hook(_undo_up_trim)
    model.in_samples = WINDOW
    model.pred_sample = (0, WINDOW)
    model.eval()
    return model


def load_model() -> Any:
    """The PickerXL model as a ``seisbench.models.PhaseNet`` (built once per process)."""
    require()
    return _build()
