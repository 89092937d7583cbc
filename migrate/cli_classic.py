"""`amplitude-migrate classic run`: what Amplitude (Classic) sent to Amplitude for each event."""

from __future__ import annotations

from dataclasses import dataclass, field

import click

from migrate.cli_io import InputError, output_stream, settings_secrets, skip_reporter
from migrate.cli_errors import Group
from migrate.cli_options import (
    calibration_option,
    classic_options_option,
    events_argument,
    mode_option,
    output_option,
    quiet_option,
    redact_option,
    settings_option,
    strict_option,
)
from migrate.cli_options import dask_option, replay_executor, workers_option
from migrate.cli_pii import pii_options, pii_pseudonymiser
from migrate.config import is_terraform_path, load_settings_file
from migrate.events import ReadStats, read_events
from migrate.progress import Progress

__all__ = ["classic_group", "run_classic", "ClassicSummary"]

MAX_NOTE_LINES = 20


@dataclass
class ClassicSummary:
    events: int = 0
    skipped_lines: int = 0
    skipped_events: int = 0
    requests: int = 0
    records: int = 0
    failed: int = 0  # events the emulator could not process (an internal error), written with "error"
    duplicates: int = 0  # events repeating an earlier messageId
    not_sent: dict = field(default_factory=dict)

    def line(self) -> str:
        text = (f"{self.events} events read, {self.skipped_lines} lines skipped, {self.skipped_events} events "
                f"skipped by the emulator; {self.requests} requests, {self.records} Amplitude records")
        if self.not_sent:
            top = sorted(self.not_sent.items(), key=lambda kv: -kv[1])[:5]
            text += "; sent nothing: " + "; ".join(f"{n} x {reason}" for reason, n in top)
        if self.failed:
            text += f"; {self.failed} events failed in the emulator (lines with \"error\")"
        if self.duplicates:
            text += f"; {self.duplicates} events repeat an earlier messageId (Segment would drop them)"
        return text


def _calibrate(settings, known_path, paths, options, mode):
    from classic.calibrate import calibrate, load_known_event_types

    try:
        known = load_known_event_types(known_path)
    except (OSError, ValueError) as exc:  # the reader's own errors: one message naming the file
        raise InputError(f"{known_path}: cannot read known event types: {exc}") from None
    sample = []
    if all(p != "-" for p in paths):  # a first pass over files; standard input can be read only once
        sample = read_events(paths, stats=ReadStats())
    chosen, choices = calibrate(settings, known, sample, options)
    if mode != "cloud":
        click.echo("calibration: the contested options concern cloud mode; device modes are not affected", err=True)
    for choice in choices:
        click.echo(choice.line(), err=True)
    return chosen


def run_classic(emulator, paths, out, *, strict=False, redact=False, stats=None, on_skip=None,
                on_event_skip=None, pii=None, progress=None, executor=None, chunk_lines=None) -> ClassicSummary:
    """Every event through the emulator, one JSON line each, in input order (`migrate.replay.ClassicRun`).
    `pii`: a `migrate.pii.Pseudonymiser` to pseudonymise personal data in every line, or None (exact data);
    `progress`: a `migrate.progress.Progress`, advanced per chunk; `on_event_skip(count, event, reason)`:
    for the first events the emulator skips; `executor`: where chunks run (None: this process)."""
    from migrate import replay

    stats = stats if stats is not None else ReadStats()
    job = replay.ClassicRun(emulator, redact=redact, pii=pii, strict=strict)
    skipped = 0

    def notes(partial):
        nonlocal skipped
        if on_event_skip is not None:
            for position, (mid, reason) in enumerate(partial.event_skips, start=skipped + 1):
                on_event_skip(position, {"messageId": mid}, reason)
        skipped += partial.skipped_events

    total = replay.run_lines(job, paths, out, stats, executor, on_skip=on_skip, progress=progress,
                             on_partial=notes, chunk_lines=chunk_lines)
    summary = ClassicSummary(skipped_events=total.skipped_events, requests=total.requests, records=total.records,
                             failed=total.failed, not_sent=dict(total.not_sent))
    summary.events = stats.read
    summary.skipped_lines = stats.skipped_count
    summary.duplicates = stats.duplicates
    return summary


@click.group("classic", cls=Group)
def classic_group():
    """The Amplitude (Classic) emulator: what the classic destination sent, per connection mode.

    Example:

        amplitude-migrate classic run --settings classic.json --mode cloud events.jsonl
    """


@classic_group.command("run")
@settings_option("classic")
@mode_option(help_text="Connection mode to emulate.")
@classic_options_option
@click.option("--known-event-types", "known_path", type=click.Path(dir_okay=False),
              help="Event types exported from your Amplitude project (text, CSV or JSON): pick, for each contested "
                   "option, the variant whose names occur there, and report the evidence on stderr.")
@calibration_option
@output_option("Write JSON lines here instead of standard output.")
@redact_option
@pii_options("keep")
@workers_option
@dask_option
@strict_option
@quiet_option
@events_argument
def classic_run(settings_path, mode, classic_options, known_path, calibration_path, output_path, redact, pii_mode,
                pii_keys, pii_salt, workers, dask_address, strict, quiet, events):
    """Run events through the classic emulator; print one JSON line per event.

    Each line is {"messageId", "requests", "records"}: the HTTP requests cloud mode sends (empty for device
    modes) and the canonical Amplitude records. A line that sends nothing carries a "note" saying why;
    an event the emulator cannot read carries "skipped" and is counted. EVENTS are JSON Lines, JSON array
    or Segment batch files, gzipped or not; `-` reads standard input. With --pii mask the lines carry
    pseudonyms instead of personal data.

    Example:

        amplitude-migrate classic run --settings classic.json --mode web --known-event-types types.csv -o out.jsonl events.jsonl.gz
    """
    from classic import Emulator, SettingsError, load_settings

    pseudonymiser = pii_pseudonymiser(pii_mode, pii_keys, pii_salt)
    secrets = settings_secrets(settings_path)
    doc = load_settings_file(settings_path, "settings")
    settings, warnings = load_settings(doc, source=settings_path)
    for warning in warnings:
        click.echo(f"warning: {warning}", err=True)
    options = dict(classic_options)
    if calibration_path:
        from migrate.calibration import load_calibration

        options = {**load_calibration(calibration_path)["options"], **options}
    if known_path:
        options = _calibrate(settings, known_path, events, options, mode)
    try:
        emulator = Emulator(settings, mode=mode, options=options)
    except SettingsError as exc:  # the emulator's message lacks the file: add it
        raise SettingsError(f"{settings_path}: {exc}") from None

    def report_event_skip(count, event, reason):
        if count <= MAX_NOTE_LINES:
            click.echo(f"skipped event {event.get('messageId') if isinstance(event, dict) else ''}: {reason}",
                       err=True)

    stats = ReadStats()
    redact = redact or is_terraform_path(settings_path)
    with output_stream(output_path, mask=secrets if redact else ()) as out, \
            Progress("classic run", stats=stats, enabled=not quiet) as progress, \
            replay_executor(workers, dask_address, quiet=quiet) as executor:
        summary = run_classic(emulator, events, out, strict=strict, redact=redact, stats=stats,
                              on_skip=skip_reporter(stats), on_event_skip=report_event_skip,
                              pii=pseudonymiser, progress=progress,
                              executor=executor)
    click.echo(summary.line(), err=True)
