"""`amplitude-migrate segment pull|plan|apply`: thin commands over `migrate.public_api`."""

from __future__ import annotations

import functools
import json
import os

import click

from migrate import public_api as api
from migrate.cli_io import write_output
from migrate.cli_errors import Group, remember_secrets
from migrate.cli_options import output_option
from migrate.errors import UsageError

SegmentCommandError = UsageError  # every failure of these commands is a usage, input or API error: exit 2


def api_options(func):
    """Options every segment command shares (the token comes from SEGMENT_TOKEN only)."""

    @click.option("--destination-id", required=True, help="Segment destination id (Settings page or URL).")
    @click.option("--region", type=click.Choice(["us", "eu"], case_sensitive=False), default="us",
                  show_default=True, help="Workspace region: eu uses eu1.api.segmentapis.com.")
    @click.option("--api-url", envvar="SEGMENT_API_URL", metavar="URL",
                  help="Override the API base URL (e.g. a test server). Env: SEGMENT_API_URL.")
    @click.option("--timeout", type=click.FloatRange(min=0.01), default=30.0, show_default=True,
                  help="Seconds to wait for each answer.")
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        return func(*args, **kwargs)

    return wrapper


def plan_options(func):
    @click.option("--subscriptions", "subscriptions_path", required=True, metavar="SUBS.json",
                  type=click.Path(),
                  help="Desired subscriptions: JSON list in runtime or Public API shape (or a backup), or "
                       "Terraform segment_destination_subscription resources (.tf file or folder).")
    @click.option("--prune", is_flag=True,
                  help="Also delete existing subscriptions that the file does not list.")
    @click.option("--json", "as_json", is_flag=True, help="Print the plan (or summary) as JSON.")
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        return func(*args, **kwargs)

    return wrapper


def _client(ctx: click.Context, region: str, api_url: str | None, timeout: float) -> api.SegmentClient:
    token = os.environ.get("SEGMENT_TOKEN", "")
    remember_secrets((token,))
    if not token:
        raise SegmentCommandError(
            "SEGMENT_TOKEN is not set. Create a Public API token in Segment (Settings > Access Management > "
            "Tokens) and export it: read -s SEGMENT_TOKEN && export SEGMENT_TOKEN")
    extra = (ctx.obj or {}).get("client_options", {}) if isinstance(ctx.obj, dict) else {}
    return api.SegmentClient(
        token, base_url=api.base_url_for(region, api_url), timeout=timeout,
        on_wait=lambda reason, s: click.echo(f"waiting {s:.1f}s: {reason}", err=True), **extra)


def _warn(lines):
    for line in lines:
        click.echo(f"warning: {line}", err=True)


@click.group("segment", cls=Group)
def segment_group():
    """Read and write configuration through the Segment Public API.

    The token is read from SEGMENT_TOKEN; it is never an option, never printed and never logged.

    \b
    Example:
        read -rs SEGMENT_TOKEN && export SEGMENT_TOKEN   # paste the token; stays out of history
        amplitude-migrate segment pull --destination-id 64acf4667eac -o classic.json
    """


@segment_group.command("pull")
@api_options
@output_option("Where to write the settings (default: standard output).")
@click.pass_context
def pull(ctx, destination_id, region, api_url, timeout, output_path):
    """Write the classic Amplitude destination's settings as JSON.

    The output is the plain settings object that `translate` and `compare` read. Secrets come back
    masked from Segment (e.g. apiKey); they stay masked and a warning names them.

    \b
    Example:
        amplitude-migrate segment pull --destination-id 64acf4667eac -o classic.json
    """
    client = _client(ctx, region, api_url, timeout)
    settings, warnings = api.pull_classic_settings(client, destination_id)
    _warn(warnings)
    write_output(output_path, json.dumps(settings, indent=2, ensure_ascii=False) + "\n")
    if output_path not in (None, "-"):
        click.echo(f"Wrote {len(settings)} settings of destination {destination_id} to {output_path}", err=True)


def _plan(ctx, destination_id, region, api_url, timeout, subscriptions_path, prune):
    desired = api.load_subscriptions_file(subscriptions_path)
    from actions.lint import lint_subscriptions

    _warn(f"{subscriptions_path}: {line}" for line in lint_subscriptions(desired))
    client = _client(ctx, region, api_url, timeout)
    plan, existing, warnings = api.plan_for_destination(
        client, destination_id, desired, source=subscriptions_path, prune=prune)
    _warn(warnings)
    return client, plan, existing


@segment_group.command("plan")
@api_options
@plan_options
@click.pass_context
def plan(ctx, destination_id, region, api_url, timeout, subscriptions_path, prune, as_json):
    """Show what `apply` would change on an Amplitude (Actions) destination.

    Existing subscriptions are matched to the desired ones by name and action; each is listed as
    create, update (with the mapping diff), delete or unchanged. Nothing is written.

    \b
    Example:
        amplitude-migrate segment plan --destination-id 63dc1141d2f0 --subscriptions subs.json
    """
    _, the_plan, _ = _plan(ctx, destination_id, region, api_url, timeout, subscriptions_path, prune)
    if as_json:
        click.echo(json.dumps(the_plan, indent=2, ensure_ascii=False))
    else:
        for line in api.plan_lines(the_plan):
            click.echo(line)


@segment_group.command("apply")
@api_options
@plan_options
@click.option("--yes", is_flag=True, help="Really apply; without it this is a dry run.")
@click.option("--dry-run", is_flag=True, help="Only print the plan (the default without --yes).")
@click.option("--backup", "backup_path", metavar="FILE", type=click.Path(dir_okay=False),
              help="Backup file for the existing subscriptions "
                   "(default: segment-subscriptions-<destination>-<UTC time>.json).")
@click.pass_context
def apply(ctx, destination_id, region, api_url, timeout, subscriptions_path, prune, as_json, yes, dry_run,
          backup_path):
    """Apply the plan: back up the existing subscriptions, then create, update and delete.

    Idempotent: a second run finds everything unchanged and writes nothing. Writes are paced to 50 a
    minute; 429 and 5xx answers are retried; the first other error stops the run with a summary of
    what was and was not applied. Deletes of subscriptions the file does not list need --prune.

    \b
    Example:
        amplitude-migrate segment apply --destination-id 63dc1141d2f0 --subscriptions subs.json --yes
    """
    client, the_plan, existing = _plan(ctx, destination_id, region, api_url, timeout, subscriptions_path, prune)
    if dry_run or not yes:
        if as_json:
            click.echo(json.dumps(the_plan, indent=2, ensure_ascii=False))
        else:
            for line in api.plan_lines(the_plan):
                click.echo(line)
            click.echo("Dry run: nothing was changed. Run again with --yes to apply.")
        return
    if not as_json:
        for line in api.plan_lines(the_plan):
            click.echo(line)
    path = backup_path or api.default_backup_path(destination_id)
    try:
        summary = api.apply_plan(
            client, the_plan, existing, backup_path=path,
            progress=None if as_json else lambda op: click.echo(f"applied: {op['op']} {op['name']!r}"),
            on_backup=lambda p: click.echo(f"Backup of the existing subscriptions: {p}", err=as_json))
    except OSError as exc:
        raise SegmentCommandError(f"{path}: cannot write the backup ({exc.strerror or exc}); nothing was changed") \
            from None
    if as_json:
        click.echo(json.dumps(summary, indent=2, ensure_ascii=False))
    else:
        for line in api.summary_lines(summary):
            click.echo(line)
    if summary["failed"]:
        raise SegmentCommandError("apply stopped at the first error; see the summary above")
