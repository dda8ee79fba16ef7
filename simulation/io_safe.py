"""Atomic writes: a file is written beside its target and moved into place, so a failure or an
interruption leaves the previous file (or none), never half of one."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from .errors import WorkbenchError


def safe_output_path(path: str | Path, base_dir: str | Path | None = None) -> Path:
    """Resolve an output path; with `base_dir`, refuse names that escape it (`..`, absolute)."""
    p = Path(path)
    if base_dir is not None:
        base = Path(base_dir).resolve()
        if p.is_absolute() or ".." in p.parts:
            raise WorkbenchError(f"{path}: a saved file name may not contain '..' or be absolute")
        p = (base / p).resolve()
        if base not in p.parents and p != base:
            raise WorkbenchError(f"{path}: resolves outside {base}")
    if not p.parent.exists():
        raise WorkbenchError(f"{path}: folder {p.parent} does not exist")
    return p


def atomic_write(path: str | Path, write: Callable[[Path], None]) -> Path:
    """Call `write(tmp_path)` then rename tmp_path over `path`; on any error remove tmp_path."""
    target = safe_output_path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        write(tmp_path)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp_path, 0o666 & ~umask)  # mkstemp makes 0600; a saved file gets ordinary permissions
        os.replace(tmp_path, target)
    except BaseException:
        tmp_path.unlink(missing_ok=True)
        raise
    return target


def atomic_write_bytes(path: str | Path, data: bytes) -> Path:
    return atomic_write(path, lambda t: t.write_bytes(data))


def atomic_write_text(path: str | Path, text: str) -> Path:
    return atomic_write(path, lambda t: t.write_text(text, encoding="utf-8"))
