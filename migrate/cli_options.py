"""Click options shared by several commands: each option is declared once, with one help text."""
from __future__ import annotations

import functools

import click

__all__ = [
    "MODES",
    "amplitude_export_option",
    "calibration_option",
    "classic_options_option",
    "events_argument",
    "mode_option",
    "output_option",
    "parse_pairs",
    "quiet_option",
    "redact_option",
    "runtime_build_option",
    "settings_option",
    "strict_option",
    "subscriptions_option",
    "workers_option",
]

MODES = ("cloud", "web", "ios", "android")

_SETTINGS_HELP = {
    "classic": "Classic destination settings: a plain JSON object of setting keys, a Segment Public API "
               "destination document, or Terraform (a .tf file or Git-sync folder with the segment_destination; "
               "PATH#ID picks one).",
    "actions": "Actions destination settings JSON: apiKey, secretKey, endpoint (north_america|europe); or "
               "Terraform: a .tf file or Git-sync folder with the segment_destination (PATH#ID picks one).",
}


def runtime_build_option(func):
    from actions.user_agent import BUILDS, DEFAULT_BUILD

    return click.option(
        "--runtime-build", "runtime_build", type=click.Choice(BUILDS), default=DEFAULT_BUILD, show_default=True,
        help="Which build of the Actions runtime to model: `monorepo` = the library versions Segment's monorepo "
             "lock pins for @segment/action-destinations 3.497.0 (ua-parser-js 0.7.25: a Mac is no device); "
             "`npm` = a plain npm install today (ua-parser-js 0.7.33: Mac -> Apple / Macintosh).",
    )(func)


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


def settings_option(engine: str = "classic"):
    """--settings: the classic or the Actions destination's settings file."""
    return click.option("--settings", "settings_path", required=True, type=click.Path(), help=_SETTINGS_HELP[engine])


def subscriptions_option(command: str):
    """--subscriptions: Actions subscriptions; without it `actions run` uses the presets and `compare` the
    translated subscriptions."""
    default = "the destination's presets" if command == "actions run" else "the translated ones"
    return click.option(
        "--subscriptions", "subscriptions_path", type=click.Path(),
        help="Actions subscriptions: a JSON list (runtime or Public API shape), or Terraform segment_destination_"
             "subscription resources (.tf file or Git-sync folder, PATH#DESTINATION_ID). "
             f"Default: {default}.")


def output_option(help_text: str, *, required: bool = False):
    """-o/--output: where the command writes its result (`-` or nothing: standard output)."""
    return click.option("-o", "--output", "output_path", required=required,
                        type=click.Path(dir_okay=False, allow_dash=not required), help=help_text)


def redact_option(func):
    return click.option(
        "--redact/--no-redact", default=True, show_default=True,
        help="Mask credentials in the output lines (api_key in the body, the Authorization header, every secret "
             "of the settings file). --no-redact writes the requests exactly as sent, keys included: keep such "
             "output private. Always on when the settings come from Terraform.")(func)


def mode_option(*, auto: bool = False, help_text: str = "The classic connection mode to emulate."):
    """--mode: the classic connection mode (cloud, web, ios, android; compare adds auto)."""
    choices = (("auto",) if auto else ()) + MODES
    return click.option("--mode", type=click.Choice(choices), default=choices[0], show_default=True, help=help_text)


def parse_pairs(values, flag: str = "--option", example: str = "page_naming=code2017") -> dict:
    """NAME=VALUE items of a repeatable option as a dict; a usage error (exit 2) names a malformed one."""
    from migrate.errors import UsageError

    out = {}
    for item in values:
        name, sep, value = item.partition("=")
        if not sep:
            raise UsageError(f"{flag} {item!r}: expected NAME=VALUE (for example {example})")
        out[name.strip()] = value.strip()
    return out


def classic_options_option(func):
    """--option NAME=VALUE: a contested classic behaviour; the command gets a dict. --classic-option, the
    former name, is still accepted (hidden from --help)."""

    @functools.wraps(func)
    def merged(*args, classic_options=(), classic_options_alias=(), **kwargs):
        pairs = tuple(classic_options) + tuple(classic_options_alias)
        return func(*args, classic_options=parse_pairs(pairs), **kwargs)

    merged = click.option("--classic-option", "classic_options_alias", multiple=True, hidden=True)(merged)
    return click.option(
        "--option", "classic_options", multiple=True, metavar="NAME=VALUE",
        help="A contested classic behaviour, e.g. page_naming=code2017 (repeatable; docs/classic-run.md and "
             "`amplitude-migrate classic run --help` list the names).")(merged)


def amplitude_export_option(*, required: bool = False, use: str = ""):
    """--amplitude-export: the team's Amplitude export of the same period (Export API zip, folder, JSON lines)."""
    return click.option(
        "--amplitude-export", "export_path", required=required, type=click.Path(),
        help="Your Amplitude export of the same period: the Export API zip, a folder of its .json.gz files, or "
             f"JSON lines (see `amplitude-migrate amplitude export`).{' ' + use if use else ''}")


def calibration_option(func):
    return click.option(
        "--calibration", "calibration_path", type=click.Path(dir_okay=False),
        help="calibration.json from `amplitude-migrate calibrate`: emulate Classic with the options your "
             "Amplitude export supports (--option values win).")(func)


def workers_option(func):
    return click.option(
        "--workers", "workers", type=click.IntRange(min=1), default=None, metavar="N",
        help="Processes that replay the events, chunk by chunk (default: this machine's cores; 1: in this "
             "process). Results and output are the same for any N (docs/performance.md).",
    )(func)
