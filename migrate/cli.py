"""The `amplitude-migrate` command line: thin commands over the library, one plain sentence per error.

Exit codes: 0 ok; 1 parity below --fail-under (compare); 2 usage or input errors.
"""

from __future__ import annotations

import json
import os
import sys
from contextlib import contextmanager, suppress
from importlib.metadata import PackageNotFoundError, version

import click

from migrate.cli_options import runtime_build_option, workers_option
from migrate.errors import MigrateError
from migrate.cli_pii import pii_options, pii_policy
from migrate.events import ReadStats, Skip

try:
    __version__ = version("amplitude-migrate")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0+unknown"

EXIT_INPUT = 2
MAX_SKIP_LINES = 20


class InputError(click.ClickException):
    """Bad input or settings: exit code 2, message on stderr."""

    exit_code = EXIT_INPUT


@contextmanager
def input_errors():
    """Turn library errors into one-line CLI errors with exit code 2."""
    try:
        yield
    except MigrateError as exc:
        raise InputError(str(exc)) from None


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


@contextmanager
def output_stream(path: str | None):
    """Standard output, or a file written whole or not at all: lines go to PATH.partial, which replaces
    PATH only when the run ends without error (a broken input file leaves no half result behind)."""
    if path in (None, "-"):
        yield sys.stdout
        sys.stdout.flush()
        return
    partial = f"{path}.partial"
    try:
        fh = open(partial, "w", encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{path}: cannot write output: {exc.strerror or exc}") from None
    try:
        with fh:
            yield fh
        os.replace(partial, path)
    except BaseException:
        with suppress(OSError):
            os.remove(partial)
        raise


def events_argument(func):
    return click.argument("events", nargs=-1, required=True, type=click.Path(allow_dash=True))(func)


def strict_option(func):
    return click.option(
        "--strict", is_flag=True, help="Stop at the first malformed input line (exit 2) instead of skipping it."
    )(func)


def quiet_option(func):
    return click.option(
        "-q", "--quiet", is_flag=True,
        help="No progress on stderr (a bar on a terminal, otherwise a line every few seconds); "
             "the summary and warnings are still printed.",
    )(func)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
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
@click.option("--settings", "settings_path", required=True, type=click.Path(),
              help="Actions destination settings JSON: apiKey, secretKey, endpoint (north_america|europe); or "
                   "Terraform: a .tf file or Git-sync folder with the segment_destination (PATH#ID picks one).")
@click.option("--subscriptions", "subscriptions_path", type=click.Path(),
              help="Subscriptions JSON list (runtime or Public API shape), or Terraform segment_destination_"
                   "subscription resources (.tf file or Git-sync folder, PATH#DESTINATION_ID). Default: the "
                   "destination's presets.")
@click.option("-o", "--output", "output_path", type=click.Path(dir_okay=False, allow_dash=True),
              help="Write JSON lines here instead of standard output.")
@click.option("--redact", is_flag=True, help="Mask api_key in the requests written to the output (always "
              "on when the settings come from Terraform: keys kept there are never printed).")
@pii_options("keep")
@runtime_build_option
@workers_option
@strict_option
@quiet_option
@events_argument
def actions_run(settings_path, subscriptions_path, output_path, redact, pii_mode, pii_keys, pii_salt, runtime_build,
                workers, strict, quiet, events):
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
    from migrate.replay import workers_executor
    from migrate.run import run_actions
    from migrate.terraform import is_terraform_path

    policy = pii_policy(pii_mode, pii_keys, pii_salt)
    stats = ReadStats()
    with input_errors(), output_stream(output_path) as out, model_build(runtime_build), \
            Progress("actions run", stats=stats, enabled=not quiet) as progress, \
            workers_executor(workers) as executor:
        summary = run_actions(
            settings_path, subscriptions_path, events, out,
            strict=strict, redact=redact or is_terraform_path(settings_path), stats=stats,
            on_skip=skip_reporter(stats), pii=policy.pseudonymiser() if policy.masks else None,
            on_warning=lambda text: click.echo(f"warning: {text}", err=True), progress=progress,
            executor=executor,
        )
    click.echo(summary.line(), err=True)


def _register_optional_commands() -> None:
    # Commands that live in their own modules; each module holds one click command or group.
    import importlib

    for module_name, attrs in (
        ("migrate.cli_classic", ("classic_group",)),
        ("migrate.cli_workflow", ("translate_cmd", "compare_cmd")),
        ("migrate.cli_segment", ("segment_group",)),
        ("migrate.cli_amplitude", ("calibrate_cmd", "amplitude_group")),
    ):
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            continue
        for attr in attrs:
            main.add_command(getattr(module, attr))


_register_optional_commands()
