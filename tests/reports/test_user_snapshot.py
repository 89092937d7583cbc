"""Our own use of the snapshot plugin, exactly as a user would write it (see the README).

A change in what Classic or Actions records for these events fails here with a diff; review it, then
refresh with `pytest tests/reports/test_user_snapshot.py --snapshot-update`.
"""


def test_records_for_every_call_type(amplitude_records, amplitude_snapshot):
    records = amplitude_records("amplitude/events.jsonl", settings="amplitude/classic-settings.json", presets=True)
    assert list(records) == [
        "snap-page-named", "snap-page-unnamed", "snap-track", "snap-order", "snap-identify",
        "snap-group", "snap-alias", "snap-screen", "snap-app-track",
    ]
    assert records == amplitude_snapshot
