"""The project's own error types: every bad input ends in one of these, with a message that names
the file, the key/row/column and what was expected."""


class WorkbenchError(ValueError):
    """Base of the workbench's input errors (a ValueError so generic callers still catch it)."""


class ScenarioError(WorkbenchError):
    """A scenario file or a change to it is invalid.

    `problems` lists what was wrong, one dict a problem, so an interface can say it in its own
    language: `path` (the dotted path, '' for the file), `type` (pydantic's error type, or
    `unknown_path`, `yaml_syntax`, `out_of_constraint`), `ctx` (the bounds: ge/le/gt/lt or lo/hi)
    and `input` (the value given). The message (English) is the same information."""

    def __init__(self, message: str, problems: list[dict] | None = None):
        super().__init__(message)
        self.problems: list[dict] = list(problems or [])


class PopulationError(WorkbenchError):
    """Person or claim input is invalid. `detail`, when the error is about a cell: {source, rows
    (the first rows, as the message numbers them), column, expected (English), expected_zh, got}, so a
    page can say it in its own language. `zh`: the message in Chinese, where the raise gives one
    (`message(lang)` picks it; the English message otherwise)."""

    detail: dict | None = None

    def __init__(self, message: str, zh: str | None = None):
        super().__init__(message)
        self.zh = zh

    def message(self, lang: str = "zh") -> str:
        return self.zh if lang == "zh" and self.zh else str(self)


class PopulationTooLargeError(PopulationError):
    """A population that would not fit in the available memory, refused before it is built; the
    message names the size, the estimate and the available memory in GiB, and what to do instead."""
