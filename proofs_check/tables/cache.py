"""Content-addressed result cache with atomic writes.

An entry is keyed by the SHA-256 of (cell model config, run config, producer, code version, quick). The
code version is a hash of the glaverify source files, so editing the code invalidates everything; it is
injectable so tests can simulate a code change. Each entry is one JSON file written to a temporary file
in the same directory and moved into place with ``os.replace`` (atomic on POSIX): an interrupted run
leaves either the old state or the complete new entry, never a truncated file.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from glaverify.proofs_check.paths import default_file_mode

from .spec import content_hash

_SOURCE_PACKAGES = ("theory", "numerics", "proofs_check")


def source_root() -> Path:
    import glaverify.numerics as numerics

    return Path(numerics.__file__).resolve().parent.parent


def code_version(root: Path | None = None) -> str:
    """SHA-256 over the glaverify source files (relative path + content), in sorted order."""
    root = root or source_root()
    h = hashlib.sha256()
    for pkg in _SOURCE_PACKAGES:
        base = root / pkg
        if not base.is_dir():
            continue
        for f in sorted(base.rglob("*.py")):
            if "__pycache__" in f.parts:
                continue
            h.update(str(f.relative_to(root)).encode())
            h.update(b"\0")
            h.update(f.read_bytes())
            h.update(b"\0")
    return h.hexdigest()


def cache_key(model: dict, run: dict, producer: str, version: str, quick: bool) -> str:
    return content_hash({"model": model, "run": run, "producer": producer, "code": version, "quick": quick})


class ResultCache:
    """A directory of ``<key[:2]>/<key>.json`` entries. ``enabled=False`` reads nothing (but still writes)."""

    def __init__(self, root: str | Path, enabled: bool = True):
        self.root = Path(root)
        self.enabled = enabled

    def path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.json"

    def get(self, key: str) -> dict[str, Any] | None:
        if not self.enabled:
            return None
        p = self.path(key)
        try:
            data = json.loads(p.read_text())
        except (OSError, json.JSONDecodeError):
            return None  # missing or unreadable: recompute
        return data if isinstance(data, dict) and data.get("key") == key else None

    def put(self, key: str, entry: dict[str, Any]) -> None:
        p = self.path(key)
        p.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".json", dir=p.parent)
        try:
            with os.fdopen(fd, "w") as fh:
                json.dump({**entry, "key": key}, fh)
                fh.flush()
                os.fsync(fh.fileno())
            os.chmod(tmp, default_file_mode())  # mkstemp creates 0600; entries are shared like any file
            os.replace(tmp, p)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise
