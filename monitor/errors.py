"""Expected, user-facing failures. The CLI prints them (one line each, no traceback) and exits
with the code of their class (:class:`ExitCode`; the README's "Exit codes" lists them).

Messages start with the stage that failed ("config: …", "feeds: …", "smtp: …") and say what to do.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import ClassVar


class ExitCode(IntEnum):
    """What ``monitor``'s exit status means, the same for every command."""

    OK = 0
    FAILED = 1  # the work ran and failed: every source failed, a digest was not delivered, …
    USAGE = 2  # malformed input: unknown option or value, bad query, date or OPML file
    NOT_FOUND = 3  # no such item, story, digest, source or recipient
    CONFIG = 4  # invalid configuration (file or variable, key and reason are printed)
    STORAGE = 5  # the archive cannot be opened or migrated (unsupported URL, server down)


class MonitorError(Exception):
    """Base of every expected failure."""

    exit_code: ClassVar[ExitCode] = ExitCode.FAILED


class InputError(MonitorError):
    """Malformed input on the command line or in a file given to a command."""

    exit_code = ExitCode.USAGE


class NotFoundError(MonitorError):
    """The named item, story, digest, source or recipient does not exist."""

    exit_code = ExitCode.NOT_FOUND


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

    exit_code = ExitCode.CONFIG

    def __init__(self, problems: list[ConfigProblem]) -> None:
        self.problems = problems
        super().__init__("\n".join(f"config: {p}" for p in problems))


class StorageError(MonitorError):
    """The database could not be opened or migrated."""

    exit_code = ExitCode.STORAGE


class FeedParseError(MonitorError):
    """A feed body could not be parsed into any entry."""


class UnsafeDocumentError(MonitorError):
    """A document carried DTD or entity declarations and was refused before parsing."""


class QuerySyntaxError(InputError):
    """A search or rule query is malformed; ``position`` is the 0-based character offset."""

    def __init__(self, message: str, position: int, query: str = "") -> None:
        self.position = position
        self.query = query
        super().__init__(f"query: {message} at position {position + 1}")
