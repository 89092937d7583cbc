"""Exceptions the library raises; the CLI turns each into one plain sentence and an exit code.

One tree: every error the command line answers with exit code 2 (usage or input) is a ``MigrateError``.
The engines (``classic/``, ``actions/``) import nothing from ``migrate/`` and keep their own bases,
``classic.SettingsError`` and ``actions.ConfigError``; the CLI error map (``migrate.cli_errors``) names
those two explicitly. ``GateFailed`` is the one error that means exit code 1: the input was fine, a
quality gate (``--fail-under``) was not met.
"""

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


class UsageError(MigrateError, ValueError):
    """An option value or a combination of options that cannot work (names the option and the fix); also
    an output path that cannot be written."""


class ApiError(MigrateError):
    """An HTTP API (Segment Public API, Amplitude Export API) answered with an error."""

    def __init__(self, status: int, message: str, errors: list | None = None):
        self.status, self.errors = status, errors or []
        super().__init__(f"HTTP {status}: {message}")


class GateFailed(Exception):
    """A quality gate was not met (exit code 1): the run itself succeeded and its results were written."""
