"""Errors raised on bad user input.

Every check of user input raises :class:`InputError`, which names the offending field and the
violated constraint. The CLI prints it as one line, without a traceback.
"""

from __future__ import annotations


class InputError(ValueError):
    """Bad user input: ``field`` violates ``constraint``."""

    def __init__(self, field: str, constraint: str, value: object | None = None):
        self.field = field
        self.constraint = constraint
        self.value = value
        msg = f"{field}: {constraint}"
        if value is not None:
            text = repr(value)
            if len(text) > 120:
                text = text[:117] + "..."
            msg += f" (got {text})"
        super().__init__(msg)
