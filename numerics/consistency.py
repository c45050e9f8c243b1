"""Internal-consistency errors: two routes of glaverify's own code disagreed (docs/evidence.md).

A :class:`ToolError` is an error of the tool, never a finding about the theory: the runner records it as an
``inconclusive`` record with ``tool_error`` set, and the command line exits 3 showing the disagreement.
"""

from __future__ import annotations


class ToolError(RuntimeError):
    """Two independent computations of ours disagreed: ``what`` says which, by how much."""

    def __init__(self, what: str):
        self.what = what
        super().__init__(what)
