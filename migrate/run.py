"""`actions run`: the Actions destination's settings and subscriptions, checked, and the run itself (on
`migrate.replay`, the one replay pipeline): one JSON line per event, in input order, and a summary.

(`migrate.runner` is the per-event part every replay shares: routing, classic, the Actions variants.)"""

from __future__ import annotations

from dataclasses import dataclass, field

from migrate.config import load_settings_file, load_subscriptions_doc, settings_object
from migrate.errors import BadInput
from migrate.events import ReadStats

REGIONS = ("north_america", "europe")



@dataclass
class RunSummary:
    events: int = 0
    skipped: int = 0
    fired: int = 0
    errors: int = 0
    requests: int = 0
    records: int = 0
    failed: int = 0  # events the engine could not process (an internal error), written with "error"
    duplicates: int = 0  # events repeating an earlier messageId
    by_subscription: dict = field(default_factory=dict)

    def line(self) -> str:
        text = (
            f"{self.events} events read, {self.skipped} lines skipped; {self.fired} subscription runs "
            f"({self.errors} rejected by the runtime's validation), {self.requests} requests, "
            f"{self.records} Amplitude records"
        )
        if self.failed:
            text += f"; {self.failed} events failed in the engine (lines with \"error\")"
        if self.duplicates:
            text += f"; {self.duplicates} events repeat an earlier messageId (Segment would drop them)"
        return text


def engine_failure(exc: Exception) -> dict:
    """An unexpected exception on one event, as data: a long run goes on and the line says what happened."""
    return {"name": type(exc).__name__, "message": str(exc)}


def load_actions_settings(path: str) -> dict:
    """Actions destination settings from a plain object or a Public API destination document."""
    from actions.destination import settings_errors

    settings = settings_object(load_settings_file(path, "settings", actions=True), path, "settings")
    for key in ("apiKey", "secretKey"):
        value = settings.get(key)
        if value is not None and not isinstance(value, str):
            # the runtime would coerce a number to a string; a key that is not a string is a copy-paste slip
            raise BadInput(path, None, f"setting {key!r} must be a string, got {type(value).__name__} "
                                       "(value hidden)")
    endpoint = settings.get("endpoint")
    if endpoint is not None and endpoint not in REGIONS:
        raise BadInput(path, None, f"setting 'endpoint' must be one of {', '.join(map(repr, REGIONS))}, got "
                                   f"{str(endpoint)[:40]!r} (the Actions runtime rejects every event otherwise)")
    errors = settings_errors(settings)
    if errors:
        # the runtime validates settings before any subscription: every event would fail
        raise BadInput(path, None, "the Actions runtime rejects these settings: " + " ".join(errors))
    return settings


def load_subscriptions_file(path: str | None):
    import actions

    if path is None:
        return actions.preset_subscriptions()
    return actions.load_subscriptions(load_subscriptions_doc(path), source=path)  # ConfigError names the file


def run_actions(settings_path, subscriptions_path, paths, out, *, strict=False, redact=False,
                stats: ReadStats | None = None, on_skip=None, pii=None, on_warning=None,
                progress=None, executor=None, chunk_lines: int | None = None) -> RunSummary:
    """Every event through the engine, one JSON line each, in input order (`migrate.replay.ActionsRun`).
    `pii`: a `migrate.pii.Pseudonymiser` to pseudonymise personal data in every line, or None (exact
    data); `on_warning`: called with each trigger-lint warning about the subscriptions file; `progress`: a
    `migrate.progress.Progress`, advanced per chunk; `executor`: where chunks run (None: this process;
    `migrate.replay.workers_executor(N)` for N processes), the output is the same either way."""
    from migrate import replay

    settings = load_actions_settings(settings_path)
    subscriptions = load_subscriptions_file(subscriptions_path)
    if subscriptions_path is not None and on_warning is not None:
        from actions.lint import lint_subscriptions

        for warning in lint_subscriptions(subscriptions):
            on_warning(f"{subscriptions_path}: {warning}")
    stats = stats if stats is not None else ReadStats()
    job = replay.ActionsRun(settings, subscriptions, redact=redact, pii=pii, strict=strict)
    total = replay.run_lines(job, paths, out, stats, executor, on_skip=on_skip, progress=progress,
                             chunk_lines=chunk_lines)
    summary = RunSummary(fired=total.fired, errors=total.errors, requests=total.requests, records=total.records,
                         failed=total.failed)
    summary.events = stats.read
    summary.skipped = stats.skipped_count
    summary.duplicates = stats.duplicates
    return summary
