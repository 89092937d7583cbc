"""Exceptions the library raises; the CLI turns each into one plain sentence and an exit code."""

from __future__ import annotations


class MigrateError(Exception):
    """Base class: an error the user can act on (exit code 2 in the CLI)."""


class BadInput(MigrateError):
    """A file or line that cannot be used: names the file, the line (when known) and the reason."""

    def __init__(self, file: str, line: int | None, reason: str):
        self.file, self.line, self.reason = file, line, reason
        where = f"{file}:{line}" if line else file
        super().__init__(f"{where}: {reason}")

    def __reduce__(self):  # raised in a worker process, shown by the main one
        return type(self), (self.file, self.line, self.reason)


class ApiError(MigrateError):
    """The Segment Public API answered with an error."""

    def __init__(self, status: int, message: str, errors: list | None = None):
        self.status, self.errors = status, errors or []
        super().__init__(f"HTTP {status}: {message}")
