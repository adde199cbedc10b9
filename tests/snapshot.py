"""A fingerprint of a folder tree, to show that a command left its input untouched."""

from __future__ import annotations

import hashlib
import stat
from pathlib import Path


def snapshot(root: Path) -> dict[str, tuple]:
    """Every entry under ``root`` (the root too): kind, size, mtime_ns, mode and, for files,
    a hash of the content; two equal snapshots mean the tree was left untouched."""
    out: dict[str, tuple] = {}
    for path in [root, *sorted(root.rglob("*"))]:
        st = path.lstat()
        digest = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else ""
        key = path.relative_to(root).as_posix()
        out[key] = (stat.S_IFMT(st.st_mode), st.st_size, st.st_mtime_ns, st.st_mode, digest)
    return out
