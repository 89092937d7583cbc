"""One exception tree and one CLI error map: every error the CLI answers with exit 2 sits under
`MigrateError` (or is one of the engines' two named bases), and every command maps errors in one place."""

import importlib
import inspect
import pkgutil
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

import actions
import classic
import migrate
from migrate.cli import main
from migrate.cli_errors import EXIT_GATE, EXIT_INPUT, Command, Group, exit_for
from migrate.errors import GateFailed, MigrateError

MIGRATE = Path(migrate.__file__).parent
# Exceptions that never leave the library: each is caught where it is raised (with the reason).
INTERNAL = {
    "migrate.events._Slow": "the reader's signal to leave the fast path; caught in the reader",
    "migrate.canonical.RecordError": "an engine output that is not a valid upload: an event error, written as data",
}


def _modules():
    for info in pkgutil.walk_packages([str(MIGRATE)], "migrate."):
        if not info.name.endswith("__main__"):  # running it would start the CLI
            yield importlib.import_module(info.name)


def _exception_classes():
    for module in _modules():
        for _, obj in inspect.getmembers(module, inspect.isclass):
            if issubclass(obj, BaseException) and obj.__module__ == module.__name__:
                yield obj


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def test_every_library_exception_sits_in_the_tree():
    stray = []
    for cls in _exception_classes():
        name = f"{cls.__module__}.{cls.__qualname__}"
        if issubclass(cls, click.ClickException):
            assert name == "migrate.cli_errors.MappedError", f"{name}: raise a MigrateError, the map words it"
        elif not issubclass(cls, (MigrateError, GateFailed)) and name not in INTERNAL:
            stray.append(name)
    assert not stray, f"exception classes outside migrate.errors.MigrateError: {stray}"


def test_every_error_under_the_root_has_a_cli_mapping_and_a_docstring():
    list(_modules())  # every subclass is defined
    classes = [MigrateError, *_subclasses(MigrateError)]
    assert len(classes) >= 6
    for cls in classes:
        rule = exit_for(cls)
        assert rule is not None and rule[0] == EXIT_INPUT, cls
        assert cls.__doc__ and cls.__doc__.strip(), f"{cls.__qualname__} needs a docstring saying when it is raised"
    assert exit_for(GateFailed)[0] == EXIT_GATE
    for engine_base in (classic.SettingsError, actions.ConfigError):  # engines cannot import migrate
        assert exit_for(engine_base)[0] == EXIT_INPUT
    assert exit_for(KeyError("bug")) is None  # a bug keeps its traceback


def test_every_command_uses_the_error_map():
    def walk(group, prefix=()):
        for name, cmd in group.commands.items():
            yield prefix + (name,), cmd
            if isinstance(cmd, click.Group):
                yield from walk(cmd, prefix + (name,))

    assert isinstance(main, Group)
    for path, cmd in walk(main):
        assert isinstance(cmd, (Command, Group)), f"{' '.join(path)}: build it with cls=Command / cls=Group"


def test_no_command_module_re_words_library_errors():
    for path in MIGRATE.glob("cli*.py"):
        text = path.read_text(encoding="utf-8")
        for pattern in ("except MigrateError", "except classic.SettingsError", "except actions.ConfigError",
                        "input_errors()", "_library_errors", "sys.exit("):
            assert pattern not in text, f"{path.name}: `{pattern}`: let migrate.cli_errors map it"


@pytest.mark.parametrize("exc, code, text", [
    (migrate.errors.BadInput("events.jsonl", 3, "not JSON"), 2, "Error: events.jsonl:3: not JSON"),
    (classic.SettingsError("settings.json: setting 'x' must be a string"), 2, "setting 'x' must be a string"),
    (actions.ConfigError("subs.json: subscription 1: missing trigger"), 2, "missing trigger"),
    (migrate.errors.UsageError("--source-mode =web: name the library"), 2, "name the library"),
    (GateFailed(""), 1, ""),
    (migrate.errors.BadInput("s.json", None, 'got "apiKey": "live-key-0123456789"'), 2, '"apiKey": "••••••••"'),
])
def test_the_map_gives_exit_code_and_one_masked_sentence(exc, code, text):
    @click.command(cls=Command)
    def boom():
        raise exc

    result = CliRunner().invoke(boom, [])
    assert result.exit_code == code
    assert text in result.stderr
    assert "Traceback" not in result.stderr and "live-key" not in result.stderr
    if not text:
        assert result.stderr == ""


def test_an_unmapped_error_is_a_bug_and_keeps_its_traceback():
    @click.command(cls=Command)
    def boom():
        raise KeyError("bug")

    result = CliRunner().invoke(boom, [])
    assert isinstance(result.exception, KeyError)
