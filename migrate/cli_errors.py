"""The command line's one error map: exception class -> exit code and message, for every command.

Exit codes: 0 ok; 1 a quality gate failed (``GateFailed``); 2 usage or input errors (every
``MigrateError``, and the engines' own bases ``classic.SettingsError`` and ``actions.ConfigError``, which
cannot import ``migrate``). Commands raise; they never catch an error only to re-word it. Every message
goes through the masking rule (``migrate.masking``) with the secrets the command has seen, so an error
never prints a credential.

Every command and group is built on ``Command`` / ``Group`` below (``cls=`` on the click decorators;
subcommands of a ``Group`` inherit it), so the map applies however a command is invoked.
"""

from __future__ import annotations

from typing import Callable

import click

from migrate.errors import ApiError, GateFailed, MigrateError, UsageError

__all__ = ["Command", "Group", "EXIT_OK", "EXIT_GATE", "EXIT_INPUT", "error_map", "exit_for", "remember_secrets"]

EXIT_OK, EXIT_GATE, EXIT_INPUT = 0, 1, 2
_SECRETS_META = "amplitude_migrate.secrets"


def _plain(exc: BaseException) -> str:
    return str(exc)


def _segment_api(exc: BaseException) -> str:
    status = getattr(exc, "status", None)
    if status == 401:
        return f"{exc}. Check SEGMENT_TOKEN (and --region: EU workspaces need --region eu)."
    if status == 404:
        return f"{exc}. Check --destination-id and --region."
    return str(exc)


def error_map() -> dict[type, tuple[int, Callable[[BaseException], str]]]:
    """Exception class -> (exit code, message). The most specific class of an exception's MRO wins."""
    import actions
    import classic
    from migrate import public_api

    return {
        GateFailed: (EXIT_GATE, _plain),
        MigrateError: (EXIT_INPUT, _plain),
        UsageError: (EXIT_INPUT, _plain),
        ApiError: (EXIT_INPUT, _plain),
        public_api.ApiError: (EXIT_INPUT, _segment_api),
        classic.SettingsError: (EXIT_INPUT, _plain),
        actions.ConfigError: (EXIT_INPUT, _plain),
    }


def exit_for(exc: BaseException | type) -> tuple[int, Callable[[BaseException], str]] | None:
    """The (exit code, message) rule for an exception (or exception class), or None when the CLI does not
    map it (a bug: the traceback is shown)."""
    table = error_map()
    for cls in (exc if isinstance(exc, type) else type(exc)).__mro__:
        if cls in table:
            return table[cls]
    return None


def remember_secrets(values) -> None:
    """Secret values the current command has read (settings keys, tokens): error messages mask them."""
    from migrate.masking import LOG_FILTER

    values = tuple(values)
    LOG_FILTER.remember(values)
    ctx = click.get_current_context(silent=True)
    if ctx is not None:
        root = ctx.find_root()
        root.meta[_SECRETS_META] = tuple(root.meta.get(_SECRETS_META, ())) + tuple(values)


class MappedError(click.ClickException):
    """A mapped library error: its message (secrets masked) on stderr, its exit code."""

    def __init__(self, message: str, exit_code: int):
        super().__init__(message)
        self.exit_code = exit_code

    def show(self, file=None) -> None:
        if self.message:
            super().show(file)


def _mapped(exc: Exception, ctx: click.Context) -> MappedError | None:
    from migrate.masking import mask_text

    rule = exit_for(exc)
    if rule is None:
        return None
    code, message = rule
    known = ctx.find_root().meta.get(_SECRETS_META, ())
    return MappedError(mask_text(message(exc), known), code)


class _Mapping:
    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except click.ClickException:
            raise
        except Exception as exc:
            mapped = _mapped(exc, ctx)
            if mapped is None:
                raise
            raise mapped from None


class Command(_Mapping, click.Command):
    """A click command whose errors go through the one error map."""


class Group(_Mapping, click.Group):
    """A click group whose errors, and its subcommands' errors, go through the one error map."""

    command_class = Command


Group.group_class = Group
