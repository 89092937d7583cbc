"""The generated-code cache on disk (actions.mapping_kit.compile.CODE_CACHE): engines give the same output byte
for byte whether the generated code was compiled now, read back from the cache, or the cache holds something
it must not use; nothing is written when bytecode is not written or the folder cannot be written."""

import builtins
import json
import multiprocessing
import sys

import pytest

import actions
from actions import Engine, preset_subscriptions
from actions.mapping_kit import compile as compile_module
from migrate.generate import generate_events

SETTINGS = {"apiKey": "fake-api-key", "secretKey": "fake-secret", "endpoint": "north_america"}
NOW = 1710460800000
EVENTS = list(generate_events(80, 7))


def _fresh_process(monkeypatch):
    """Forget what this process compiled, as a new command starts."""
    monkeypatch.setattr(actions, "_RUNS", type(actions._RUNS)())
    monkeypatch.setattr(compile_module, "_cache", type(compile_module._cache)())
    monkeypatch.setattr(compile_module, "_fused_cache", type(compile_module._fused_cache)())
    monkeypatch.setattr(compile_module, "_code_cache", type(compile_module._code_cache)())


def _outputs(monkeypatch) -> str:
    _fresh_process(monkeypatch)
    engine = Engine(SETTINGS, preset_subscriptions(), now=NOW)
    return json.dumps([engine.send(event) for event in EVENTS], default=repr)


@pytest.fixture
def cache(tmp_path, monkeypatch):
    directory = tmp_path / "cache"
    monkeypatch.setattr(compile_module, "CODE_CACHE", directory)
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    return directory


@pytest.fixture
def plain(tmp_path, monkeypatch):
    """The engines' output with every generated function compiled now (no cache)."""
    with monkeypatch.context() as m:
        m.setattr(compile_module, "CODE_CACHE", tmp_path / "none")
        m.setattr(sys, "dont_write_bytecode", True)
        out = _outputs(m)
    assert not (tmp_path / "none").exists()
    return out


def _no_compiling(monkeypatch):
    real = builtins.compile

    def refuse(source, filename, *args, **kwargs):
        if filename == "<mapping>":
            raise AssertionError("generated code was compiled: the cache was not used")
        return real(source, filename, *args, **kwargs)

    monkeypatch.setattr(builtins, "compile", refuse)


def test_cached_code_gives_the_same_output(cache, plain, monkeypatch):
    before = dict(compile_module.compile_counts)
    assert _outputs(monkeypatch) == plain
    entries = sorted(cache.iterdir())
    assert entries and all(p.name.endswith(f".{sys.implementation.cache_tag}.code") for p in entries)
    assert compile_module.compile_counts["code"] - before["code"] == len(entries)
    with monkeypatch.context() as m:
        _no_compiling(m)
        read = compile_module.compile_counts["code_read"]
        assert _outputs(m) == plain
        assert compile_module.compile_counts["code_read"] - read == len(entries)


@pytest.mark.parametrize("damage", ["truncated", "garbage", "flipped", "empty", "other source", "other tag"])
def test_a_damaged_entry_is_compiled_again(cache, plain, monkeypatch, damage):
    assert _outputs(monkeypatch) == plain
    entries = sorted(cache.iterdir())
    good = {p: p.read_bytes() for p in entries}
    other = entries[-1].read_bytes()
    for path in entries[:-1]:
        data = path.read_bytes()
        if damage == "truncated":
            data = data[: len(data) // 2]
        elif damage == "garbage":
            data = b"not a cache entry"
        elif damage == "flipped":  # one byte of the marshalled code changed
            data = data[:-9] + bytes([data[-9] ^ 0x01]) + data[-8:]
        elif damage == "empty":
            data = b""
        elif damage == "other source":  # a whole, valid entry of another source under this name
            data = other
        else:  # written by another version of the cache
            data = data.replace(b"mapping code 1|", b"mapping code 0|", 1)
        path.write_bytes(data)
    before = dict(compile_module.compile_counts)
    assert _outputs(monkeypatch) == plain
    assert compile_module.compile_counts["code"] - before["code"] == len(entries) - 1
    assert {p: p.read_bytes() for p in sorted(cache.iterdir())} == good  # replaced by good entries


def test_a_partial_file_of_a_writer_is_not_read(cache, plain, monkeypatch):
    assert _outputs(monkeypatch) == plain
    for path in list(cache.iterdir()):
        path.rename(path.with_name(f"{path.name}.123.456.tmp"))  # as a writer left it before its rename
    before = dict(compile_module.compile_counts)
    assert _outputs(monkeypatch) == plain
    assert compile_module.compile_counts["code_read"] == before["code_read"]


def test_no_cache_where_it_cannot_be_written(plain, monkeypatch, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setattr(compile_module, "CODE_CACHE", blocker / "cache")
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    assert _outputs(monkeypatch) == plain


def test_nothing_written_when_bytecode_is_not_written(cache, plain, monkeypatch):
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    assert _outputs(monkeypatch) == plain
    assert not cache.exists()


def _write_many(directory, rounds):
    compile_module.CODE_CACHE = directory
    sys.dont_write_bytecode = False
    source = "def build(payload):\n    return payload"
    code = compile(source, "<mapping>", "exec", dont_inherit=True)
    for _ in range(rounds):
        compile_module._store_code(source, code)
        assert compile_module._stored_code(source) is not None  # never a part of an entry


def test_concurrent_writers_leave_whole_entries(cache):
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_write_many, args=(cache, 200)) for _ in range(3)]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    assert [p.exitcode for p in procs] == [0, 0, 0]
    assert [p.suffix for p in cache.iterdir()] == [".code"]  # one entry, no parts left
