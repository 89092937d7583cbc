"""Pinned outputs of a fixture corpus through all four modes (the CLI's JSON lines)."""
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from migrate.cli import main

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.mark.parametrize("mode", ["cloud", "web", "ios", "android"])
def test_corpus_snapshot(mode, snapshot):
    # --no-redact: the requests exactly as sent (the fixture's key is fake), as the snapshot pins them
    result = CliRunner().invoke(main, ["classic", "run", "--settings", str(FIXTURES / "settings.json"),
                                       "--no-redact", "--mode", mode, str(FIXTURES / "corpus.jsonl")])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(lines) == 11  # line 12 has no type: the reader skips it with its reason
    assert "corpus.jsonl:12: not a Segment event: no type" in result.stderr
    assert lines == snapshot
