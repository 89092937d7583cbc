import pytest

from report_model import make


@pytest.fixture
def make_report_model():
    """Factory for the sample report model: make_report_model(hostile=True) for the attacker's version."""
    return make


@pytest.fixture(scope="session")
def example_report(tmp_path_factory):
    """The README's main command run once on the bundled examples: (click result, report folder)."""
    from pathlib import Path

    from click.testing import CliRunner

    from migrate.cli import main

    examples = Path(__file__).resolve().parents[2] / "examples"
    report = tmp_path_factory.mktemp("example") / "report"
    result = CliRunner().invoke(main, ["compare", "--settings", str(examples / "classic-settings.json"),
                                       "--report", str(report), str(examples / "events.jsonl")])
    assert result.exit_code == 0, result.output
    return result, report
