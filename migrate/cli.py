"""The `amplitude-migrate` command line: thin commands over the library, one plain sentence per error.

Exit codes: 0 ok; 1 parity below --fail-under (compare); 2 usage or input errors. Every command raises
library errors and `migrate.cli_errors` maps them, in one place, to a message and an exit code.
"""

from __future__ import annotations

import importlib

import click

from migrate.cli_errors import EXIT_INPUT, Group
from migrate.cli_io import InputError, output_stream, settings_secrets, skip_reporter, write_output
from migrate.cli_options import (
    dask_option,
    events_argument,
    output_option,
    quiet_option,
    redact_option,
    replay_executor,
    runtime_build_option,
    settings_option,
    strict_option,
    subscriptions_option,
    workers_option,
)
from migrate.cli_pii import pii_options, pii_pseudonymiser
from migrate.events import ReadStats

__all__ = ["main", "EXIT_INPUT", "InputError", "output_stream", "skip_reporter", "settings_secrets",
           "write_output"]


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("amplitude-migrate")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
        return "0+unknown"


def __getattr__(name: str):
    if name == "__version__":  # read from the installed metadata only when asked (start-up time)
        return _version()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _print_version(ctx: click.Context, _param, value) -> None:
    if value and not ctx.resilient_parsing:
        click.echo(f"amplitude-migrate, version {_version()}")
        ctx.exit()


class _LazyCommands(dict):
    """A group's commands by name, each command module imported when the command is first looked up.

    `amplitude-migrate actions run` then imports neither the Segment Public API client (requests), the
    Terraform reader nor the compare/report stack. Listing the commands (`--help`, `items()`) imports them
    all, in the order given, so the group behaves like a plain dict of commands."""

    def __init__(self, loaded: dict, lazy: dict[str, tuple[str, str]]):
        super().__init__(loaded)
        self._lazy = dict(lazy)  # name -> (module, attribute)

    def _load(self, name) -> None:
        spec = self._lazy.pop(name, None) if type(name) is str else None
        if spec is not None:
            dict.__setitem__(self, name, getattr(importlib.import_module(spec[0]), spec[1]))

    def _load_all(self) -> None:
        for name in list(self._lazy):
            self._load(name)

    def __missing__(self, name):
        self._load(name)
        if dict.__contains__(self, name):
            return dict.__getitem__(self, name)
        raise KeyError(name)

    def get(self, name, default=None):
        self._load(name)
        return dict.get(self, name, default)

    def __contains__(self, name) -> bool:
        return name in self._lazy or dict.__contains__(self, name)

    def __len__(self) -> int:
        return dict.__len__(self) + len(self._lazy)

    def __iter__(self):
        self._load_all()
        return dict.__iter__(self)

    def keys(self):
        self._load_all()
        return dict.keys(self)

    def values(self):
        self._load_all()
        return dict.values(self)

    def items(self):
        self._load_all()
        return dict.items(self)


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--version", is_flag=True, expose_value=False, is_eager=True, callback=_print_version,
              help="Show the version and exit.")
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
@dask_option
@strict_option
@quiet_option
@events_argument
def actions_run(settings_path, subscriptions_path, output_path, redact, pii_mode, pii_keys, pii_salt, runtime_build,
                workers, dask_address, strict, quiet, events):
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
    from migrate.config import is_terraform_path

    pseudonymiser = pii_pseudonymiser(pii_mode, pii_keys, pii_salt)
    secrets = settings_secrets(settings_path, actions=True)
    redact = redact or is_terraform_path(settings_path)
    stats = ReadStats()
    with output_stream(output_path, mask=secrets if redact else ()) as out, model_build(runtime_build), \
            Progress("actions run", stats=stats, enabled=not quiet) as progress, \
            replay_executor(workers, dask_address, quiet=quiet) as executor:
        summary = run_actions(
            settings_path, subscriptions_path, events, out,
            strict=strict, redact=redact, stats=stats,
            on_skip=skip_reporter(stats), pii=pseudonymiser,
            on_warning=lambda text: click.echo(f"warning: {text}", err=True), progress=progress,
            executor=executor,
        )
    click.echo(summary.line(), err=True)


# The commands kept in their own modules, imported when named (see _LazyCommands), in this order.
main.commands = _LazyCommands(main.commands, {
    "classic": ("migrate.cli_classic", "classic_group"),
    "translate": ("migrate.cli_workflow", "translate_cmd"),
    "compare": ("migrate.cli_workflow", "compare_cmd"),
    "segment": ("migrate.cli_segment", "segment_group"),
    "calibrate": ("migrate.cli_amplitude", "calibrate_cmd"),
    "amplitude": ("migrate.cli_amplitude", "amplitude_group"),
})
