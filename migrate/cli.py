"""The `amplitude-migrate` command line: thin commands over the library, one plain sentence per error.

Exit codes: 0 ok; 1 parity below --fail-under (compare); 2 usage or input errors. Every command raises
library errors and `migrate.cli_errors` maps them, in one place, to a message and an exit code.
"""

from __future__ import annotations

import json
import os
import sys
from contextlib import contextmanager, suppress
from importlib.metadata import PackageNotFoundError, version

import click

from migrate.cli_errors import EXIT_INPUT, Group, remember_secrets
from migrate.cli_options import (
    events_argument,
    output_option,
    quiet_option,
    redact_option,
    runtime_build_option,
    settings_option,
    strict_option,
    subscriptions_option,
)
from migrate.cli_pii import pii_options, pii_policy
from migrate.errors import UsageError
from migrate.events import ReadStats, Skip

try:
    __version__ = version("amplitude-migrate")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0+unknown"

MAX_SKIP_LINES = 20
InputError = UsageError  # the name the command modules use for "bad input or option: exit 2"
__all__ = ["main", "EXIT_INPUT", "InputError", "output_stream", "skip_reporter", "settings_secrets"]


def skip_reporter(stats: ReadStats):
    """Print the first skipped lines on stderr as they happen; the rest are counted in the summary."""

    def report(skip: Skip) -> None:
        if stats.skipped_count <= MAX_SKIP_LINES:
            click.echo(f"skipped {skip}", err=True)
        elif stats.skipped_count == MAX_SKIP_LINES + 1:
            click.echo("skipped: further skipped lines are only counted", err=True)

    return report


def dump_line(obj) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


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


@contextmanager
def output_stream(path: str | None, *, mask: tuple[str, ...] = ()):
    """Standard output, or a file written whole or not at all: lines go to PATH.partial, which replaces
    PATH only when the run ends without error (a broken input file leaves no half result behind). `mask`:
    secret values masked in everything written."""
    from migrate.masking import MaskingWriter

    if path in (None, "-"):
        yield MaskingWriter(sys.stdout, mask) if mask else sys.stdout
        sys.stdout.flush()
        return
    partial = f"{path}.partial"
    try:
        fh = open(partial, "w", encoding="utf-8")
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


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="amplitude-migrate")
def main():
    """Move a Segment -> Amplitude pipeline from Amplitude (Classic) to Amplitude (Actions), with evidence.

    Example:

        amplitude-migrate compare --settings examples/classic-settings.json examples/events.jsonl --report report
    """


@main.group("actions")
def actions_group():
    """The Amplitude (Actions) engine: what the Actions destination sends for your events.

    Example:

        amplitude-migrate actions run --settings settings.json events.jsonl
    """


@actions_group.command("run")
@settings_option("actions")
@subscriptions_option("actions run")
@output_option("Write JSON lines here instead of standard output.")
@redact_option
@pii_options("keep")
@runtime_build_option
@strict_option
@quiet_option
@events_argument
def actions_run(settings_path, subscriptions_path, output_path, redact, pii_mode, pii_keys, pii_salt, runtime_build,
                strict, quiet, events):
    """Run events through the Actions destination; print one JSON line per event.

    Each line holds the event's messageId, every subscription that fired with the HTTP requests it
    would send (or the runtime's error), and the canonical Amplitude records those requests create.
    EVENTS are JSON Lines, JSON array or Segment batch files, gzipped or not; `-` reads standard input.

    Example:

        amplitude-migrate actions run --settings settings.json --subscriptions subs.json -o out.jsonl events.jsonl.gz

    With --pii mask the lines carry pseudonyms instead of personal data (ids, e-mail, names, IP ...).
    """
    from actions.user_agent import runtime_build as model_build
    from migrate.progress import Progress
    from migrate.run import run_actions
    from migrate.terraform import is_terraform_path

    policy = pii_policy(pii_mode, pii_keys, pii_salt)
    secrets = settings_secrets(settings_path, actions=True)
    redact = redact or is_terraform_path(settings_path)
    stats = ReadStats()
    with output_stream(output_path, mask=secrets if redact else ()) as out, model_build(runtime_build), \
            Progress("actions run", stats=stats, enabled=not quiet) as progress:
        summary = run_actions(
            settings_path, subscriptions_path, events, out,
            strict=strict, redact=redact, stats=stats,
            on_skip=skip_reporter(stats), pii=policy.pseudonymiser() if policy.masks else None,
            on_warning=lambda text: click.echo(f"warning: {text}", err=True), progress=progress,
        )
    click.echo(summary.line(), err=True)


# The commands kept in their own modules (they import the helpers above, so they come last).
from migrate.cli_amplitude import amplitude_group, calibrate_cmd  # noqa: E402
from migrate.cli_classic import classic_group  # noqa: E402
from migrate.cli_segment import segment_group  # noqa: E402
from migrate.cli_workflow import compare_cmd, translate_cmd  # noqa: E402

for _command in (classic_group, translate_cmd, compare_cmd, segment_group, calibrate_cmd, amplitude_group):
    main.add_command(_command)
