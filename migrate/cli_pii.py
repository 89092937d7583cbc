"""The options every command shares for personal data: --pii, --pii-key, --pii-salt (docs/privacy.md)."""

from __future__ import annotations

import click

__all__ = ["pii_options", "pii_policy", "pii_pseudonymiser"]


def pii_options(default: str):
    """--pii, --pii-key, --pii-salt: how an output treats personal data (see docs/privacy.md)."""
    shared = default == "mask"

    def decorate(func):
        func = click.option(
            "--pii-salt", "pii_salt", metavar="SECRET", envvar="AMPLITUDE_MIGRATE_PII_SALT",
            help="Key the pseudonyms with this secret (or $AMPLITUDE_MIGRATE_PII_SALT) so they repeat across "
                 "runs; default: a random key per run. Never printed.")(func)
        func = click.option(
            "--pii-key", "pii_keys", multiple=True, metavar="KEY",
            help="Treat this property or trait name as personal too (any depth; case and separators ignored). "
                 "Repeatable.")(func)
        return click.option(
            "--pii", "pii_mode", type=click.Choice(["mask", "keep"]), default=default, show_default=True,
            help=("mask: pseudonymise personal data (ids, e-mail, phone, names, address, IP, latitude/longitude) "
                  "with keyed hashes; keep: leave it in clear, for a local investigation."
                  if shared else
                  "mask: pseudonymise personal data in the output lines (keyed hashes, see docs/privacy.md); "
                  "keep: the output is data and stays exact."))(func)

    return decorate


def _check_salt(salt: str | None) -> None:
    if salt is not None and not salt:
        raise click.BadParameter("the salt is empty; give a long random secret or leave the option out",
                                 param_hint="--pii-salt")


def pii_policy(mode: str, keys=(), salt: str | None = None):
    from migrate.pii import PiiPolicy

    _check_salt(salt)
    return PiiPolicy(mode=mode, extra_keys=tuple(k.strip() for k in keys if k.strip()), salt=salt)


def pii_pseudonymiser(mode: str, keys=(), salt: str | None = None):
    """What the line-writing commands (`actions run`, `classic run`) need of `pii_policy`: its pseudonymiser
    when it masks, else None, without importing the personal-data rules when the output stays exact."""
    _check_salt(salt)
    if mode != "mask":
        return None
    policy = pii_policy(mode, keys, salt)
    return policy.pseudonymiser() if policy.masks else None
