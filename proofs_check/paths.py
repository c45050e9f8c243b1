"""Output paths, checked before any work, and files written atomically with normal permissions.

Every command that writes checks its output directory, cache directory and input files *before* it
computes anything, and raises :class:`~glaverify.numerics.errors.InputError` naming the option
(``--out: is a file, not a directory``), so a long run never ends in a traceback about a path. Files are
written to a temporary file in the target directory and moved into place (``os.replace``), then given the
permissions a plain ``open(..., "w")`` would have (``0666 & ~umask``, 0644 under the usual umask 022):
``tempfile.mkstemp`` alone creates 0600 files that collaborators cannot read.

Caches (sweep results, the hypothesis database) live in the user cache directory of platformdirs
(``~/.cache/glaverify`` on Linux) unless ``--cache-dir`` or ``GLAVERIFY_CACHE_DIR`` says otherwise, so
running a command never litters the current directory (docs/cli.md, "Files and caches").
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from glaverify.numerics.errors import InputError

#: environment variable that overrides the default cache directory
CACHE_ENV = "GLAVERIFY_CACHE_DIR"


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def default_file_mode() -> int:
    """``0666 & ~umask``: the mode ``open(path, "w")`` gives a new file (0644 under umask 022)."""
    return 0o666 & ~_umask()


def user_cache_dir(sub: str = "") -> Path:
    """The glaverify cache directory: ``$GLAVERIFY_CACHE_DIR`` or platformdirs' user cache dir."""
    env = os.environ.get(CACHE_ENV)
    if env:
        base = Path(env)
    else:
        from platformdirs import user_cache_dir as _ucd

        base = Path(_ucd("glaverify", appauthor=False))
    return base / sub if sub else base


def _nearest_existing(path: Path) -> Path:
    p = path.absolute()
    while not p.exists() and p != p.parent:
        p = p.parent
    return p


def check_out_dir(path: Path | str, field: str = "--out") -> Path:
    """``path`` is a directory we may write into, or can be created as one. Creates nothing."""
    p = Path(path)
    if p.exists():
        if not p.is_dir():
            raise InputError(field, "must be a directory, but it is an existing file", str(p))
        if not os.access(p, os.W_OK | os.X_OK):
            raise InputError(field, "directory is not writable", str(p))
        return p
    base = _nearest_existing(p)
    if not base.is_dir():
        raise InputError(field, f"cannot create a directory below the file {base}", str(p))
    if not os.access(base, os.W_OK | os.X_OK):
        raise InputError(field, f"cannot create the directory ({base} is not writable)", str(p))
    return p


def check_in_file(path: Path | str, field: str) -> Path:
    """``path`` is an existing, readable regular file."""
    p = Path(path)
    if not p.exists():
        raise InputError(field, "file not found", str(p))
    if p.is_dir():
        raise InputError(field, "is a directory, not a file", str(p))
    if not os.access(p, os.R_OK):
        raise InputError(field, "file is not readable", str(p))
    return p


@contextlib.contextmanager
def _tmp_in(directory: Path, suffix: str = "") -> Iterator[tuple[int, str]]:
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=suffix, dir=directory)
    try:
        yield fd, tmp
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def atomic_write_bytes(path: Path | str, data: bytes, mode: int | None = None) -> Path:
    """Write ``data`` to ``path`` atomically (temporary file + ``os.replace``) with mode ``0666 & ~umask``.

    An interrupt leaves either the old file or the complete new one, and never a temporary file.
    """
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    with _tmp_in(p.parent, p.suffix) as (fd, tmp):
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, default_file_mode() if mode is None else mode)
        os.replace(tmp, p)
    return p


def atomic_write_text(path: Path | str, text: str, mode: int | None = None) -> Path:
    return atomic_write_bytes(path, text.encode("utf-8"), mode)
