"""Atomic writes: a file is written beside its target and moved into place, so a failure or an
interruption leaves the previous file (or none), never half of one."""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Callable
from pathlib import Path

from .errors import WorkbenchError

OUTPUT_DIR_ENV = "SIMULATION_OUTPUT_DIR"
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def safe_output_path(path: str | Path, base_dir: str | Path | None = None) -> Path:
    """Check a user-named output path; raises WorkbenchError, never another exception.

    Always refused: a NUL byte or another control character, an empty name, a folder. With
    `base_dir` (or the environment variable SIMULATION_OUTPUT_DIR, for a server where every saved
    file must stay in one folder): a `..` part, or any path (absolute too) that resolves outside it.
    Without a base a path means what it means in a shell (`../x.yaml` is the parent folder)."""
    if isinstance(path, bytes) or not isinstance(path, (str, os.PathLike)):
        raise WorkbenchError(f"{path!r}: expected a file name (text), got {type(path).__name__}")
    text = os.fspath(path)
    if not isinstance(text, str):
        raise WorkbenchError(f"{path!r}: expected a file name (text)")
    shown = _CONTROL.sub("?", text)
    if _CONTROL.search(text):
        raise WorkbenchError(f"{shown}: a file name may not contain NUL or control characters")
    if not text.strip():
        raise WorkbenchError("an output file name is empty")
    if base_dir is None:
        base_dir = os.environ.get(OUTPUT_DIR_ENV) or None
    p = Path(text)
    try:
        if base_dir is not None:
            base = Path(base_dir).resolve()
            if ".." in p.parts:
                raise WorkbenchError(f"{shown}: a saved file name may not contain '..'")
            p = (base / p).resolve()  # an absolute p replaces base, then must still be inside it
            if base not in p.parents:
                raise WorkbenchError(f"{shown}: resolves outside {base}; save inside that folder")
        if p.is_dir():
            raise WorkbenchError(f"{shown}: is a folder; give a file name")
        if not p.parent.is_dir():
            what = "is a file, not a folder" if p.parent.exists() else "does not exist"
            raise WorkbenchError(f"{shown}: folder {p.parent} {what}")
    except (OSError, ValueError) as e:
        if isinstance(e, WorkbenchError):
            raise
        raise WorkbenchError(f"{shown}: not a usable file name ({e})") from None
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
