"""Click options shared by several commands."""
from __future__ import annotations

import click


def runtime_build_option(func):
    from actions.user_agent import BUILDS, DEFAULT_BUILD

    return click.option(
        "--runtime-build", "runtime_build", type=click.Choice(BUILDS), default=DEFAULT_BUILD, show_default=True,
        help="Which build of the Actions runtime to model: `monorepo` = the library versions Segment's monorepo "
             "lock pins for @segment/action-destinations 3.497.0 (ua-parser-js 0.7.25: a Mac is no device); "
             "`npm` = a plain npm install today (ua-parser-js 0.7.33: Mac -> Apple / Macintosh).",
    )(func)


def workers_option(func):
    return click.option(
        "--workers", "workers", type=click.IntRange(min=1), default=None, metavar="N",
        help="Processes that replay the events, chunk by chunk (default: this machine's cores; 1: in this "
             "process). Results and output are the same for any N (docs/performance.md).",
    )(func)
