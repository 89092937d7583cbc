"""Reading Amplitude exports: zip of gzipped JSON lines, a folder, one file, plain JSON lines; bad parts
skipped with the file, line and reason."""

import gzip
import io
import json
import zipfile

import pytest

from migrate.amplitude_export import ExportStats, read_export
from migrate.errors import BadInput

ROW = {"event_type": "Signed Up", "user_id": "user-00001", "event_time": "2024-06-12 07:00:00.000000",
       "uuid": "ignored", "amplitude_id": 1, "os_name": "Mac OS"}


def gz(lines: list[str]) -> bytes:
    return gzip.compress("".join(line + "\n" for line in lines).encode())


def write_zip(path, members: dict[str, bytes]):
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return str(path)


def test_zip_members_are_read_in_order_keeping_only_the_fields_read(tmp_path):
    second = dict(ROW, event_type="Signed In")
    path = write_zip(tmp_path / "e.zip", {"187520/187520_2024-06-12_8#0.json.gz": gz([json.dumps(second)]),
                                          "187520/187520_2024-06-12_7#0.json.gz": gz([json.dumps(ROW)])})
    stats = ExportStats()
    rows = list(read_export(path, stats))
    assert [r["event_type"] for r in rows] == ["Signed Up", "Signed In"]
    assert "uuid" not in rows[0] and "amplitude_id" not in rows[0] and rows[0]["os_name"] == "Mac OS"
    assert stats.rows == 2 and stats.skipped_count == 0 and len(stats.files) == 2


def test_folder_single_gz_and_plain_json_lines(tmp_path):
    folder = tmp_path / "unzipped" / "187520"
    folder.mkdir(parents=True)
    (folder / "187520_2024-06-12_7#0.json.gz").write_bytes(gz([json.dumps(ROW)]))
    (folder / "187520_2024-06-12_7#1.json").write_text(json.dumps(ROW) + "\n")
    assert len(list(read_export(str(tmp_path / "unzipped")))) == 2
    single = tmp_path / "one.json.gz"
    single.write_bytes(gz([json.dumps(ROW)] * 3))
    assert len(list(read_export(str(single)))) == 3
    plain = tmp_path / "rows.jsonl"
    plain.write_text(json.dumps(ROW) + "\n\n" + json.dumps(ROW) + "\n")
    assert len(list(read_export(str(plain)))) == 2


def test_bad_rows_are_skipped_and_named(tmp_path):
    lines = [json.dumps(ROW), "{not json", "[1, 2]", json.dumps({"user_id": "x"}), json.dumps(ROW)]
    path = write_zip(tmp_path / "e.zip", {"p/p_2024-06-12_7#0.json.gz": gz(lines)})
    stats = ExportStats()
    rows = list(read_export(path, stats))
    assert len(rows) == 2 and stats.skipped_count == 3
    where = [(s.file, s.line) for s in stats.skipped]
    assert where == [(f"{path}!p/p_2024-06-12_7#0.json.gz", n) for n in (2, 3, 4)]
    assert "not a JSON row" in stats.skipped[0].reason
    assert "without event_type" in stats.skipped[2].reason


def test_corrupt_gzip_member_is_skipped_and_the_others_are_read(tmp_path):
    good = gz([json.dumps(ROW)] * 2)
    broken = gz([json.dumps(ROW)] * 200)
    broken = broken[: len(broken) // 2] + b"\x00" * 40  # cut and garbled
    path = write_zip(tmp_path / "e.zip", {"p/a#0.json.gz": good, "p/b#0.json.gz": broken, "p/c#0.json.gz": good})
    stats = ExportStats()
    rows = list(read_export(path, stats))
    assert len(rows) >= 4  # a and c whole, plus whatever of b was readable
    bad = [s for s in stats.skipped if "b#0" in s.file]
    assert len(bad) == 1 and "corrupt gzip" in bad[0].reason and "download the export again" in bad[0].reason


def test_corrupt_zip_is_a_clear_error(tmp_path):
    path = tmp_path / "e.zip"
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w") as archive:
        archive.writestr("p/a.json.gz", gz([json.dumps(ROW)]))
    path.write_bytes(data.getvalue()[:30])  # starts like a zip, is not one
    with pytest.raises(BadInput) as err:
        list(read_export(str(path)))
    assert str(path) in str(err.value) and "not a readable zip" in str(err.value)


def test_missing_file_and_empty_folder(tmp_path):
    with pytest.raises(BadInput, match="cannot open"):
        list(read_export(str(tmp_path / "nope.zip")))
    (tmp_path / "empty").mkdir()
    with pytest.raises(BadInput, match="no .json.gz"):
        list(read_export(str(tmp_path / "empty")))


def test_an_export_of_only_bad_rows_says_so(tmp_path, settings, events_path):
    from migrate.calibration import calibrate_export

    path = tmp_path / "rows.jsonl"
    path.write_text("{oops\n")
    with pytest.raises(BadInput) as err:
        calibrate_export(settings, [events_path], str(path))
    assert "no usable rows (1 skipped" in str(err.value) and "rows.jsonl:1" in str(err.value)
