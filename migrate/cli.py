"""The `amplitude-migrate` command line: thin commands over the library, one plain sentence per error.

Exit codes: 0 ok; 1 parity below --fail-under (compare); 2 usage or input errors. Every command raises
library errors and `migrate.cli_errors` maps them, in one place, to a message and an exit code.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

import click

from migrate.cli_errors import EXIT_INPUT, Group
from migrate.cli_io import InputError, output_stream, settings_secrets, skip_reporter, write_output
from migrate.cli_options import (
    events_argument,
    output_option,
    quiet_option,
    redact_option,
    runtime_build_option,
    settings_option,
    strict_option,
    subscriptions_option,
    workers_option,
)
from migrate.cli_pii import pii_options, pii_policy
from migrate.events import ReadStats

try:
    __version__ = version("amplitude-migrate")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0+unknown"

__all__ = ["main", "EXIT_INPUT", "InputError", "output_stream", "skip_reporter", "settings_secrets",
           "write_output"]


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
    secrets = settings_secrets(settings_path, actions=True)
    redact = redact or is_terraform_path(settings_path)
    stats = ReadStats()
    with output_stream(output_path, mask=secrets if redact else ()) as out, model_build(runtime_build), \
            Progress("actions run", stats=stats, enabled=not quiet) as progress, \
            workers_executor(workers) as executor:
        summary = run_actions(
            settings_path, subscriptions_path, events, out,
            strict=strict, redact=redact, stats=stats,
            on_skip=skip_reporter(stats), pii=policy.pseudonymiser() if policy.masks else None,
            on_warning=lambda text: click.echo(f"warning: {text}", err=True), progress=progress,
            executor=executor,
        )
    click.echo(summary.line(), err=True)


# The commands kept in their own modules (they import the helpers above, so they come last).
from migrate.cli_amplitude import amplitude_group, calibrate_cmd  # noqa: E402
from migrate.cli_classic import classic_group  # noqa: E402
from migrate.cli_segment import segment_group  # noqa: E402
from migrate.cli_workflow import compare_cmd, translate_cmd  # noqa: E402

for _command in (classic_group, translate_cmd, compare_cmd, segment_group, calibrate_cmd, amplitude_group):
    main.add_command(_command)
