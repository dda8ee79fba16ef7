"""The project's own error types: every bad input ends in one of these, with a message that names
the file, the key/row/column and what was expected."""


class WorkbenchError(ValueError):
    """Base of the workbench's input errors (a ValueError so generic callers still catch it)."""


class ScenarioError(WorkbenchError):
    """A scenario file or a change to it is invalid."""


class PopulationError(WorkbenchError):
    """Person or claim input is invalid. `detail`, when the error is about a cell: {source, rows
    (the first rows, as the message numbers them), column, expected (English), expected_zh, got}, so a
    page can say it in its own language."""

    detail: dict | None = None


class PopulationTooLargeError(PopulationError):
    """A population that would not fit in the available memory, refused before it is built; the
    message names the size, the estimate and the available memory in GiB, and what to do instead."""
