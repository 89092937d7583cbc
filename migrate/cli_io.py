"""What the commands share besides options: skip lines on stderr, outputs written whole, the secrets a command
has read (masked in everything it prints or writes)."""

from __future__ import annotations

import os
import sys
from contextlib import contextmanager, suppress

import click

from migrate.cli_errors import remember_secrets
from migrate.errors import UsageError
from migrate.events import ReadStats, Skip

MAX_SKIP_LINES = 20
InputError = UsageError  # the name the command modules use for "bad input or option: exit 2"
__all__ = ["InputError", "output_stream", "skip_reporter", "settings_secrets", "write_output"]


def skip_reporter(stats: ReadStats):
    """Print the first skipped lines on stderr as they happen; the rest are counted in the summary."""

    def report(skip: Skip) -> None:
        if stats.skipped_count <= MAX_SKIP_LINES:
            click.echo(f"skipped {skip}", err=True)
        elif stats.skipped_count == MAX_SKIP_LINES + 1:
            click.echo("skipped: further skipped lines are only counted", err=True)

    return report


def settings_secrets(path: str, *, actions: bool = False) -> tuple[str, ...]:
    """The secret values of a settings file (for masking outputs and error messages); none when the file
    cannot be read (the command then stops with its own error)."""
    from migrate.config import load_settings_file
    from migrate.errors import MigrateError
    from migrate.masking import secret_values

    try:
        values = secret_values(load_settings_file(path, "settings", actions=actions))
    except (MigrateError, OSError, ValueError):
        values = ()
    remember_secrets(values)
    return values


def write_output(path: str | None, text: str) -> None:
    """Write a whole document to PATH (`-` or None: standard output); an unwritable path is a usage error."""
    if path in (None, "-"):
        click.echo(text, nl=False)
        return
    try:
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(text)
    except OSError as exc:
        raise UsageError(f"{path}: cannot write: {exc.strerror or exc}") from None


@contextmanager
def output_stream(path: str | None, *, mask: tuple[str, ...] = ()):
    """A binary stream for UTF-8 lines: standard output, or a file written whole or not at all: lines go to
    PATH.partial, which replaces PATH only when the run ends without error (a broken input file leaves no
    half result behind). A PATH that exists and is no regular file (/dev/null, a named pipe) is written
    directly: it is never replaced. `mask`: secret values masked in everything written."""
    from migrate.masking import MaskingWriter

    if path in (None, "-"):
        sys.stdout.flush()  # anything written as text so far goes first
        stdout = getattr(sys.stdout, "buffer", None) or _TextAsBytes(sys.stdout)
        yield MaskingWriter(stdout, mask) if mask else stdout
        stdout.flush()
        return
    if os.path.exists(path) and not os.path.isfile(path) and not os.path.isdir(path):
        try:
            fh = open(path, "wb")
        except OSError as exc:
            raise InputError(f"{path}: cannot write output: {exc.strerror or exc}") from None
        with fh:
            yield MaskingWriter(fh, mask) if mask else fh
        return
    partial = f"{path}.partial"
    try:
        fh = open(partial, "wb")
    except OSError as exc:
        raise InputError(f"{path}: cannot write output: {exc.strerror or exc}") from None
    try:
        with fh:
            yield MaskingWriter(fh, mask) if mask else fh
        os.replace(partial, path)
    except BaseException:
        with suppress(OSError):
            os.remove(partial)
        raise


class _TextAsBytes:
    """A text stream without a binary buffer (a replaced sys.stdout), written to with UTF-8 bytes."""

    def __init__(self, stream):
        self._stream = stream

    def write(self, data: bytes) -> int:
        self._stream.write(data.decode("utf-8"))
        return len(data)

    def flush(self) -> None:
        self._stream.flush()
