"""The import graph points one way: records → io → models → stages → pipeline → cli.

A module may import from its own package and from packages of lower layers only, so that
every stage stays testable on plain records and the command line never leaks into science.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "testban"

#: Layer of each top-level package or module of testban (lower is more basic).
LAYERS = {
    "records": 0,
    "io": 1,
    "network": 2,
    "traveltime": 2,
    "onset": 3,
    "mlpick": 3,
    "features": 3,
    "magnitude": 3,
    "radionuclide": 3,
    "locate": 3,
    "relocate": 3,
    "detect": 4,
    "simulate": 4,
    "associate": 4,
    "compare": 4,
    "calibrate": 4,
    "pipeline": 5,
    "review": 5,  # analyst review: locate, magnitude, screening, bulletin, store
    "describe": 5,
    "store": 4,
    "bulletin": 4,
    "screening": 4.5,  # reads bulletins (events_of, ellipses); the pipeline runs it
    "service": 6,
    "cli": 7,
    "__main__": 8,
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {m.split(".")[1] for m in found if m.startswith("testban.")}


MODULES = sorted(p for p in SRC.rglob("*.py") if p.name != "__init__.py" or p.parent != SRC)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(SRC)))
def test_imports_point_down_the_layers(path: Path):
    rel = path.relative_to(SRC)
    package = rel.parts[0].removesuffix(".py")
    assert package in LAYERS, f"{package} has no layer: add it to LAYERS in {__file__}"
    for target in _imports(path):
        assert target in LAYERS, f"{rel} imports testban.{target}, which has no layer"
        if target == package:
            continue
        assert LAYERS[target] < LAYERS[package], (
            f"{rel} (layer {LAYERS[package]}) imports testban.{target} "
            f"(layer {LAYERS[target]}): imports must point to lower layers"
        )
