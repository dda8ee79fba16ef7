"""Upload limits and safe download names of the app (issue 8).

Two limits apply to every upload: Streamlit's hard `server.maxUploadSize` (`.streamlit/config.toml`,
MB; the browser refuses bigger files) and, below it, the app's own limit per kind of file, checked
before a byte is parsed, with a message from the catalogue. The app limits are configured by
environment variables (MiB): WORKBENCH_UPLOAD_MB_SCENARIO (default 1: a preset is ~30 KB) and
WORKBENCH_UPLOAD_MB_POPULATION (default 200, each file). The memory check of `simulation.limits`
then refuses uploaded files whose population would not fit in memory.
"""

from __future__ import annotations

import contextlib
import os
import re

import streamlit as st

UPLOAD_MB = {"scenario": 1.0, "population": 200.0}
UPLOAD_ENV = {"scenario": "WORKBENCH_UPLOAD_MB_SCENARIO", "population": "WORKBENCH_UPLOAD_MB_POPULATION"}
MB = 2**20


def upload_limit(kind: str) -> int:
    """Bytes allowed for an upload of `kind` ("scenario" or "population")."""
    mb = UPLOAD_MB[kind]
    raw = os.environ.get(UPLOAD_ENV[kind])
    if raw:
        with contextlib.suppress(ValueError):
            mb = max(float(raw), 0.0)
    try:
        hard = float(st.get_option("server.maxUploadSize"))
    except Exception:  # outside a Streamlit runtime
        hard = mb
    return int(min(mb, hard) * MB)


def human_size(n: int) -> str:
    if n >= MB:
        return f"{n / MB:,.1f} MB"
    if n >= 1024:
        return f"{n / 1024:,.0f} KB"
    return f"{n} B"


def too_big(kind: str, name: str, size: int, t) -> str | None:
    """The catalogue's message when an upload exceeds its limit, else None (`t` is the page's
    translation function)."""
    limit = upload_limit(kind)
    if size <= limit:
        return None
    return t(
        "upload_too_big",
        name=safe_file_name(name, "upload"),
        size=human_size(size),
        limit=human_size(limit),
        kind=t(f"upload_kind_{kind}"),
    )


_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|]+")


def safe_file_name(name: str, default: str = "download") -> str:
    """A bare file name for a download or a message: no folders, no `..`, no NUL or control
    characters, never empty or hidden."""
    name = _UNSAFE.sub("_", str(name))
    name = re.sub(r"\.{2,}", ".", name).strip(" .")
    return name[:120] or default
