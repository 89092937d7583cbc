"""pytest plugin: snapshot the Amplitude records your own events produce, so CI notices when they change.

Registered as the ``amplitude_migrate`` pytest plugin (entry point), it provides two fixtures:

``amplitude_records(events, *, settings=None, subscriptions=None, presets=False, mode="cloud")``
    Replays an events file or folder through Amplitude (Classic) (``settings``: a classic settings object or
    its JSON file, e.g. a Segment Public API export) and/or Amplitude (Actions) (``subscriptions``: a
    subscriptions list or its JSON file; ``presets=True`` for the destination's presets) and returns, per
    event in file order, the canonical records Amplitude would store:
    ``{"<messageId>": {"call": "track Order Completed", "classic": [...], "actions": [...]}}``.
    Relative paths are resolved against the test file's folder. Records are exact by default;
    ``pii="mask", pii_salt=...`` pseudonymises personal data (ids, e-mail, names, IP ... and ``pii_keys``)
    with a salt kept out of the repository, so snapshot files hold no personal data and stay stable.

``amplitude_snapshot``
    syrupy's ``snapshot`` using :class:`AmplitudeSnapshotExtension`: one pretty JSON file per test under
    ``__snapshots__/<test file>/<test name>.json``; ``pytest --snapshot-update`` rewrites it.

    def test_amplitude_records_stay_the_same(amplitude_records, amplitude_snapshot):
        records = amplitude_records("amplitude/events", settings="amplitude/classic.json",
                                    subscriptions="amplitude/subscriptions.json")
        assert records == amplitude_snapshot

Heavy imports happen inside the fixtures: the plugin is loaded by every pytest run in an environment where
this package is installed and must never slow down or break runs that do not use it.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from pathlib import Path
from typing import Any

import pytest

from migrate.errors import MigrateError

try:
    from syrupy.extensions.json import JSONSnapshotExtension
except ImportError:  # syrupy is a test extra; without it only `amplitude_snapshot` is unavailable
    JSONSnapshotExtension = None  # type: ignore[assignment,misc]

__all__ = ["AmplitudeSnapshotExtension", "SnapshotInputError", "check_json", "records_by_event", "EVENT_SUFFIXES"]

EVENT_SUFFIXES = (".jsonl", ".ndjson", ".json", ".jsonl.gz", ".ndjson.gz", ".json.gz")
# A stand-in key: canonical records never contain the api key, but the engines require one.
SNAPSHOT_API_KEY = "snapshot-api-key"


class SnapshotInputError(MigrateError, ValueError):
    """Events, settings or subscriptions that cannot be replayed; the message names the file and the fix."""


def check_json(data: Any, path: str = "records") -> None:
    """Raise TypeError naming the first value a JSON snapshot would silently alter (syrupy's JSON extension
    turns unknown objects into their repr and drops non-string keys)."""
    if isinstance(data, dict):
        for key, value in data.items():
            if not isinstance(key, str):
                raise TypeError(f"{path}: key {key!r} is not a string; JSON snapshots need string keys")
            check_json(value, f"{path}[{key!r}]")
    elif isinstance(data, (list, tuple)):
        for i, value in enumerate(data):
            check_json(value, f"{path}[{i}]")
    elif isinstance(data, float):
        if data != data or data in (float("inf"), float("-inf")):
            raise TypeError(f"{path}: {data!r} has no JSON form")
    elif not (data is None or isinstance(data, (str, int, bool))):
        raise TypeError(f"{path}: {type(data).__name__} is not JSON data")


if JSONSnapshotExtension is not None:

    class AmplitudeSnapshotExtension(JSONSnapshotExtension):
        """One pretty JSON file per test: events in file order, keys sorted inside records, non-ASCII readable.

        syrupy's filters apply, so ``amplitude_snapshot(exclude=props("time"))`` drops a volatile field
        wherever it occurs. Anything that is not plain JSON data is refused instead of being stringified.
        """

        def serialize(self, data, *, exclude=None, include=None, matcher=None):
            check_json(data)
            # (the base class keeps OrderedDict order and sorts the keys of plain dicts)
            return super().serialize(data, exclude=exclude, include=include, matcher=matcher)

else:  # pragma: no cover - exercised only without syrupy
    AmplitudeSnapshotExtension = None  # type: ignore[assignment,misc]


# --------------------------------------------------------------------------------------------- replay


def _load_json(value: Any, base: Path, what: str) -> tuple[Any, str]:
    if isinstance(value, (str, Path)):
        path = _resolve(value, base)
        from migrate import terraform

        if terraform.is_terraform_path(str(path)):  # a .tf file or Git-sync folder (PATH#ID picks one)
            from migrate.errors import BadInput

            try:
                if what == "settings":
                    return terraform.load_settings_document(str(path)), str(path)
                return terraform.load_subscriptions_document(str(path)), str(path)
            except BadInput as exc:
                raise SnapshotInputError(f"amplitude_records: {exc}") from None
        try:
            return json.loads(path.read_text(encoding="utf-8")), str(path)
        except FileNotFoundError:
            raise SnapshotInputError(f"amplitude_records: {what} file {path} does not exist") from None
        except json.JSONDecodeError as exc:
            raise SnapshotInputError(f"amplitude_records: {path}:{exc.lineno}: not valid JSON ({exc.msg})") from None
    return value, f"<{what}>"


def _resolve(value: str | Path, base: Path) -> Path:
    path = Path(value)
    return path if path.is_absolute() else base / path


def _event_files(events: Any, base: Path, exclude: set[Path]) -> list[str]:
    items = events if isinstance(events, (list, tuple)) else [events]
    files: list[str] = []
    for item in items:
        path = _resolve(item, base)
        if path.is_dir():
            found = sorted(
                p for p in path.rglob("*")
                if p.is_file() and p.name.endswith(EVENT_SUFFIXES) and p.resolve() not in exclude
            )
            if not found:
                raise SnapshotInputError(f"amplitude_records: no event files ({', '.join(EVENT_SUFFIXES)}) in {path}")
            files.extend(str(p) for p in found)
        elif path.is_file():
            files.append(str(path))
        else:
            raise SnapshotInputError(f"amplitude_records: events path {path} does not exist")
    return files


def records_by_event(
    events: Any,
    *,
    settings: Any = None,
    subscriptions: Any = None,
    presets: bool = False,
    mode: str = "cloud",
    classic_options: dict | None = None,
    endpoint: str = "north_america",
    base: str | Path = ".",
    pii: str = "keep",
    pii_salt: str | None = None,
    pii_keys: tuple[str, ...] | list[str] = (),
) -> "OrderedDict[str, OrderedDict[str, Any]]":
    """The records per event, as described for the ``amplitude_records`` fixture (usable without pytest)."""
    import actions
    import classic
    from migrate import replay
    from migrate.errors import BadInput

    base = Path(base)
    pseudonymiser = None
    if pii == "mask":
        if not pii_salt:
            raise SnapshotInputError(
                "amplitude_records: pii=\"mask\" needs pii_salt (a secret kept out of the repository, e.g. from an "
                "environment variable): snapshots must carry the same pseudonyms on every run")
        from migrate.pii import Pseudonymiser

        pseudonymiser = Pseudonymiser.from_salt(pii_salt, extra_keys=pii_keys)
    elif pii != "keep":
        raise SnapshotInputError(f"amplitude_records: pii={pii!r}: expected \"keep\" or \"mask\"")
    if settings is None and subscriptions is None and not presets:
        raise SnapshotInputError("amplitude_records: give classic settings, subscriptions, or presets=True")
    if subscriptions is not None and presets:
        raise SnapshotInputError("amplitude_records: give subscriptions or presets=True, not both")

    exclude: set[Path] = set()
    emulator = None
    if settings is not None:
        if isinstance(settings, (str, Path)):
            exclude.add(_resolve(settings, base).resolve())
        obj, source = _load_json(settings, base, "settings")
        try:
            loaded, _warnings = classic.load_settings(obj, source=source)
            emulator = classic.Emulator(loaded, mode=mode, options=classic_options)
        except classic.SettingsError as exc:
            raise SnapshotInputError(f"amplitude_records: {exc}") from None
    engines = {}
    if subscriptions is not None or presets:
        if subscriptions is not None:
            if isinstance(subscriptions, (str, Path)):
                exclude.add(_resolve(subscriptions, base).resolve())
            obj, source = _load_json(subscriptions, base, "subscriptions")
            try:
                subs = actions.load_subscriptions(obj, source=source)
            except actions.ConfigError as exc:
                raise SnapshotInputError(f"amplitude_records: {exc}") from None
        else:
            subs = actions.preset_subscriptions()
        engines["actions"] = actions.Engine(
            {"apiKey": SNAPSHOT_API_KEY, "secretKey": "", "endpoint": endpoint}, subs
        )
    job = replay.SnapshotRecords(emulator, engines.get("actions"), pseudonymiser)
    out: OrderedDict[str, OrderedDict[str, Any]] = OrderedDict()
    files = _event_files(events, base, exclude)
    position = 0
    try:
        for partial in replay.execute(job, replay.plan(files)):
            for message_id, entry in partial.entries:
                position += 1
                key = message_id or f"#{position}"
                if key in out:
                    key = f"{key} #{position}"
                out[key] = entry
    except BadInput as exc:
        raise SnapshotInputError(f"amplitude_records: {exc}") from None
    return out


@pytest.fixture
def amplitude_records(request):
    """Callable replaying events to canonical Amplitude records; see the module documentation."""
    base = Path(request.path).parent

    def produce(events, **kwargs):
        return records_by_event(events, base=kwargs.pop("base", base), **kwargs)

    return produce


@pytest.fixture
def amplitude_snapshot(request):
    """syrupy's snapshot fixture with the Amplitude records extension."""
    if AmplitudeSnapshotExtension is None:
        pytest.fail("amplitude_snapshot needs the package syrupy (pip install syrupy)")
    snapshot = request.getfixturevalue("snapshot")
    return snapshot.use_extension(AmplitudeSnapshotExtension)
