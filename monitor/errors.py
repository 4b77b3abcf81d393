"""Expected, user-facing failures. The CLI prints them (no traceback) and exits non-zero.

Messages start with the stage that failed ("config: …", "feeds: …", "smtp: …") and say what to do.
"""

from __future__ import annotations

from dataclasses import dataclass


class MonitorError(Exception):
    """Base of every expected failure."""


@dataclass(frozen=True)
class ConfigProblem:
    file: str
    key: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}: {self.key}" if self.key else self.file
        return f"{where}: {self.message}"


class ConfigError(MonitorError):
    """One or more configuration problems, each naming file, key and reason."""

    def __init__(self, problems: list[ConfigProblem]) -> None:
        self.problems = problems
        super().__init__("\n".join(f"config: {p}" for p in problems))


class StorageError(MonitorError):
    """The database could not be opened or migrated."""


class FeedParseError(MonitorError):
    """A feed body could not be parsed into any entry."""


class UnsafeDocumentError(MonitorError):
    """A document carried DTD or entity declarations and was refused before parsing."""


class QuerySyntaxError(MonitorError):
    """A search or rule query is malformed; ``position`` is the 0-based character offset."""

    def __init__(self, message: str, position: int, query: str = "") -> None:
        self.position = position
        self.query = query
        super().__init__(f"query: {message} at position {position + 1}")
