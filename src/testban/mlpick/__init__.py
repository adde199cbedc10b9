"""Optional ML phase picking on a window (extra ``ml``): PickerXL weights in SeisBench's PhaseNet.

Nothing here is needed by the rest of testban. The model (torch, seisbench and the
``pickerxl`` wheel, which ships the weights) is imported and built on first use only;
without the extra every entry point raises an :class:`ImportError` that names it.
"""

from testban.mlpick.model import EXTRA_HINT, MODEL_RATE, WINDOW, load_model, weights_path
from testban.mlpick.picker import MLPick, WindowPicks, pick, pick_window, probabilities

__all__ = [
    "EXTRA_HINT",
    "MODEL_RATE",
    "WINDOW",
    "MLPick",
    "WindowPicks",
    "load_model",
    "pick",
    "pick_window",
    "probabilities",
    "weights_path",
]
