"""The compiled-template cache (reports.TEMPLATE_CACHE): the pages are the same byte for byte whether the templates
were compiled now, read back from the cache, or the cache holds something it must not use."""

import sys

import jinja2
import pytest

import reports


def _render(model):
    reports._html_env = reports._md_env = None  # a new command: environments built afresh
    return reports.render_html(model), reports.render_markdown(model)


@pytest.fixture
def cache(tmp_path, monkeypatch):
    directory = tmp_path / "cache"
    monkeypatch.setattr(reports, "TEMPLATE_CACHE", directory)
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    monkeypatch.setattr(reports, "_html_env", None)
    monkeypatch.setattr(reports, "_md_env", None)
    return directory


@pytest.fixture
def plain(make_report_model, monkeypatch):
    """What the templates give compiled now, without any cache: {hostile: (html, md)}."""
    with monkeypatch.context() as m:
        m.setattr(reports, "_template_cache", lambda kind: None)
        out = {hostile: _render(make_report_model(hostile=hostile)) for hostile in (False, True)}
    return out


def _no_compiling(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a template was compiled: the cache was not used")

    monkeypatch.setattr(jinja2.Environment, "compile", refuse)


def test_cached_templates_render_the_same(cache, plain, make_report_model, monkeypatch):
    for hostile in (False, True):
        assert _render(make_report_model(hostile=hostile)) == plain[hostile]
    assert sorted(p.suffix for p in cache.iterdir()) == [".jinja2", ".jinja2"]
    with monkeypatch.context() as m:
        _no_compiling(m)
        for hostile in (False, True):
            assert _render(make_report_model(hostile=hostile)) == plain[hostile]


def test_an_entry_compiled_with_other_settings_is_not_used(cache, plain, make_report_model, monkeypatch, tmp_path):
    # entries compiled by another version of this module (here: without autoescape), under the same file names
    other = tmp_path / "other_reports.py"
    other.write_text("# another version of reports/__init__.py\n")
    with monkeypatch.context() as m:
        m.setattr(reports, "__file__", str(other))
        for kind, name in (("html", "report.html"), ("md", "report.md")):
            env = jinja2.Environment(loader=jinja2.FileSystemLoader(reports.TEMPLATES), autoescape=False,
                                     undefined=jinja2.ChainableUndefined, bytecode_cache=reports._template_cache(kind))
            reports._common(env)
            env.filters.update(code=reports.md_code, block=reports.md_block)
            env.get_template(name)
    assert len(list(cache.iterdir())) == 2
    for hostile in (True, False):
        assert _render(make_report_model(hostile=hostile)) == plain[hostile]


def test_a_damaged_entry_is_compiled_again(cache, plain, make_report_model):
    _render(make_report_model())
    entries = sorted(cache.iterdir())
    for i, path in enumerate(entries):
        data = path.read_bytes()
        path.write_bytes(data[: len(data) // 2] if i == 0 else b"not a cache entry")
    assert _render(make_report_model(hostile=True)) == plain[True]
    assert [p.read_bytes() != b"not a cache entry" for p in sorted(cache.iterdir())] == [True, True]


def test_no_cache_where_it_cannot_be_written(plain, make_report_model, monkeypatch, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setattr(reports, "TEMPLATE_CACHE", blocker / "cache")
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    assert _render(make_report_model(hostile=True)) == plain[True]


def test_nothing_written_when_bytecode_is_not_written(cache, plain, make_report_model, monkeypatch):
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    assert _render(make_report_model()) == plain[False]
    assert not cache.exists()
