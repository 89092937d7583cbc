"""An option several commands share is declared once (migrate/cli_options.py, migrate/cli_pii.py): the same
flag means the same thing, with the same help, wherever it appears."""

from collections import defaultdict

import click

from migrate.cli import main

# Shared decorators that take a parameter: the help differs by design (one sentence for the command's use).
PARAMETERISED = {
    "--settings": "classic or Actions destination settings",
    "--subscriptions": "what the default is without it",
    "--mode": "compare adds auto",
    "--output": "what the command writes",
    "--amplitude-export": "compare says how the export is used",
    "--pii": "mask is the default for shared outputs, keep for data",
    # Different services, so different options under one name:
    "--region": "a Segment workspace (segment) or an Amplitude project (amplitude export)",
    "--api-url": "the Segment Public API or the Amplitude Export API",
    "--destination-id": "the destination read through the API, or the one Terraform output belongs to",
}


def _leaves(group, prefix=()):
    for name, cmd in group.commands.items():
        if isinstance(cmd, click.Group):
            yield from _leaves(cmd, prefix + (name,))
        else:
            yield " ".join(prefix + (name,)), cmd


def test_a_shared_option_has_one_help_text():
    helps = defaultdict(dict)
    for path, cmd in _leaves(main):
        for param in cmd.params:
            if isinstance(param, click.Option) and not param.hidden:
                flag = max(param.opts, key=len)
                helps[flag][path] = param.help
    redefined = {flag: by_cmd for flag, by_cmd in helps.items()
                 if len(set(by_cmd.values())) > 1 and flag not in PARAMETERISED}
    assert not redefined, f"declare these once in migrate/cli_options.py: {sorted(redefined)}"
    assert {"--strict", "--quiet", "--option", "--redact", "--calibration"} <= set(helps)
