"""`amplitude-migrate calibrate` and `amplitude-migrate amplitude export`: learn Classic from the team's own
Amplitude data."""

from __future__ import annotations

import os

import click

from migrate.cli_io import settings_secrets, skip_reporter, write_output
from migrate.cli_errors import Command, Group, remember_secrets
from migrate.cli_options import (
    amplitude_export_option,
    classic_options_option,
    events_argument,
    mode_option,
    output_option,
    settings_option,
    strict_option,
)
from migrate.cli_pii import pii_options, pii_policy
from migrate.config import json_text, load_settings_file
from migrate.events import ReadStats

__all__ = ["calibrate_cmd", "amplitude_group"]


@click.command("calibrate", cls=Command)
@settings_option("classic")
@amplitude_export_option(required=True)
@mode_option(help_text="The classic connection mode the events went through.")
@classic_options_option
@click.option("--time-tolerance", type=click.FloatRange(0, 3600), default=2.0, show_default=True,
              help="Seconds between the time Classic sent and the export's client_event_time for a join "
                   "without $insert_id.")
@click.option("--max-rows", type=click.IntRange(1), default=200_000, show_default=True,
              help="Read at most this many export rows (they are held in memory for the join).")
@output_option("Write calibration.json here (use it with `compare --calibration`).")
@pii_options("mask")
@strict_option
@events_argument
def calibrate_cmd(settings_path, export_path, mode, classic_options, time_tolerance, max_rows, output_path,
                  pii_mode, pii_keys, pii_salt, strict, events):
    """Check the classic emulator against your Amplitude export and pick each contested behaviour.

    Joins the export's rows to the Segment EVENTS that produced them (by $insert_id where present, else by
    user or device id, event type and time), re-runs the joined events through the classic emulator, and
    reports per field how often the prediction agrees with what Amplitude stored, with examples. For every
    contested behaviour (page_naming, order_completed, group_call, query_params, revenue_price, language,
    user_agent, country) it picks the variant the export supports and says why. Exit code 2 when nothing
    joins (an export of another period or project). Personal values in the examples (ids, e-mail, IP ...)
    are pseudonymised unless --pii keep.

    Example:

        amplitude-migrate calibrate --settings examples/classic-settings.json --amplitude-export examples/amplitude-export.zip -o calibration.json examples/events.jsonl
    """
    import classic
    from migrate.calibration import calibrate_export, protect_calibration

    options = dict(classic_options)
    policy = pii_policy(pii_mode, pii_keys, pii_salt)
    settings_secrets(settings_path)
    doc = load_settings_file(settings_path, "classic settings")
    settings, warnings = classic.load_settings(doc, source=settings_path)
    classic.Emulator(settings, mode=mode, options=options)  # checks the option names first
    for warning in warnings:
        click.echo(f"warning: {warning}", err=True)
    stats = ReadStats()
    result = calibrate_export(settings, list(events), export_path, mode=mode, options=options,
                              tolerance=time_tolerance, max_rows=max_rows, strict=strict,
                              on_skip=skip_reporter(stats))
    for skip in result.export_skipped:
        where = f"{skip['file']}:{skip['line']}" if skip["line"] else skip["file"]
        click.echo(f"skipped {where}: {skip['reason']}", err=True)
    if result.export_skipped_count > len(result.export_skipped):
        click.echo(f"skipped {result.export_skipped_count} export rows or files in all", err=True)
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
    if mode != "cloud":
        click.echo("note: the contested options concern cloud mode; in device modes they change nothing", err=True)
    doc = protect_calibration(result.to_dict(), policy)
    for line in result.lines(doc):
        click.echo(line)
    if output_path:
        write_output(output_path, json_text(doc, indent=2) + "\n")
        if output_path != "-":
            click.echo(f"calibration: {output_path} (use it with `amplitude-migrate compare --calibration "
                       f"{output_path}`)", err=True)


@click.group("amplitude", cls=Group)
def amplitude_group():
    """Your Amplitude project: download raw events with the Export API.

    Example:

        amplitude-migrate amplitude export --start 20240612T00 --end 20240612T23 -o export.zip
    """


@amplitude_group.command("export")
@click.option("--start", required=True, metavar="YYYYMMDDTHH", help="First hour (UTC, by upload time).")
@click.option("--end", required=True, metavar="YYYYMMDDTHH", help="Last hour (UTC, inclusive).")
@click.option("--region", type=click.Choice(["us", "eu"]), default="us", show_default=True,
              help="The project's data region.")
@click.option("--api-url", envvar="AMPLITUDE_API_URL", help="Export API root (default per region; env "
                                                             "AMPLITUDE_API_URL), e.g. a proxy.")
@output_option("Where to write the zip.", required=True)
def amplitude_export_cmd(start, end, region, api_url, output_path):
    """Download an Amplitude Export API archive (zip of gzipped JSON lines) for a range of hours.

    Credentials come from AMPLITUDE_API_KEY and AMPLITUDE_SECRET_KEY (the project's API key and secret key,
    HTTP basic auth); they are never printed. Rate limits (429) and server errors are retried with back-off;
    a range too large for one export (400), no data (404) and timeouts (504) end with what to do.

    Example:

        AMPLITUDE_API_KEY=... AMPLITUDE_SECRET_KEY=... amplitude-migrate amplitude export --start 20240612T00 --end 20240612T23 -o export.zip
    """
    from migrate.amplitude_export import download_export

    def waiting(reason: str, seconds: float) -> None:
        click.echo(f"{reason}: waiting {seconds:.0f} s", err=True)

    api_key, secret_key = os.environ.get("AMPLITUDE_API_KEY", ""), os.environ.get("AMPLITUDE_SECRET_KEY", "")
    remember_secrets((api_key, secret_key))
    result = download_export(start, end, output_path, api_key=api_key, secret_key=secret_key, region=region,
                             api_url=api_url, on_wait=waiting)
    click.echo(f"wrote {output_path} ({result['bytes']:,} bytes, {result['attempts']} request"
               f"{'s' if result['attempts'] != 1 else ''})", err=True)
