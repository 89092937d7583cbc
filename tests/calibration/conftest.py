"""Shared fixtures: the example Segment events and classic settings, and hand-made Amplitude exports built
from them by examples/make_amplitude_export.py (the export Amplitude would hold had Classic behaved a given way)."""

import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"


def _builder():
    spec = importlib.util.spec_from_file_location("make_amplitude_export", EXAMPLES / "make_amplitude_export.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


BUILDER = _builder()


@pytest.fixture(scope="session")
def example_events():
    return [json.loads(line) for line in (EXAMPLES / "events.jsonl").read_text(encoding="utf-8").splitlines() if line]


@pytest.fixture(scope="session")
def settings_doc():
    return json.loads((EXAMPLES / "classic-settings.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def settings(settings_doc):
    import classic

    return classic.load_settings(settings_doc)[0]


@pytest.fixture(scope="session")
def events_path():
    return str(EXAMPLES / "events.jsonl")


@pytest.fixture(scope="session")
def make_export(tmp_path_factory, example_events, settings):
    """make_export(truth_options, name=...) -> path of a zip built like the Export API's."""

    def make(truth=None, name="export.zip", rows_hook=None):
        rows = BUILDER.export_rows(example_events, settings, truth=truth if truth is not None else BUILDER.TRUTH)
        if rows_hook is not None:
            rows = rows_hook(rows)
        path = tmp_path_factory.mktemp("export") / name
        BUILDER.write_zip(rows, path)
        return str(path)

    return make
