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


LOCAL_CLUSTER = ""  # the value of a bare --dask


def _dask_address(ctx, param, value):
    if value is None or value == LOCAL_CLUSTER:
        return value
    from migrate.dask_backend import check_address

    try:
        return check_address(value)
    except ValueError as exc:
        raise click.BadParameter(
            f"{exc}. A bare --dask starts a local cluster: put it after the inputs or before another option, "
            "or write --dask=ADDRESS.", ctx=ctx, param=param) from None


def dask_option(func):
    """--dask [SCHEDULER_ADDRESS]: run the replay on Dask (a local cluster when no address is given)."""
    return click.option(
        "--dask", "dask_address", is_flag=False, flag_value=LOCAL_CLUSTER, default=None, callback=_dask_address,
        metavar="[SCHEDULER_ADDRESS]",
        help="Run on Dask (the dask extra: pip install 'amplitude-migrate[dask]'): a local cluster of one worker "
             "process per core when no address is given, else the distributed scheduler at SCHEDULER_ADDRESS "
             "(tcp://HOST:8786), whose workers read the inputs themselves (docs/dask.md).",
    )(func)


def dask_target(value: str | None) -> str | None:
    """The address for dask_executor: None for a local cluster."""
    return None if value in (None, LOCAL_CLUSTER) else value
