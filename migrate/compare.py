"""`compare`: replay a team's events through Classic and Actions and build the report model.

Passes over the events (each pass re-reads the input files; standard input is spooled to a temporary file
first, so nothing is kept in memory):

1. Classic vs the untouched presets and vs the translated (or the user's) subscriptions; detections.
2. Classic vs each recommendation applied cumulatively on top of the translated subscriptions, all in the
   same pass (one engine per step), which gives parity before and after every change.
3. Only when a recommendation lowered parity and was dropped: the final recommended set alone.

Per-variant state is bounded (counters and a few examples), so memory does not grow with the event count.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import tempfile
from datetime import datetime, timezone
from typing import Callable, Iterable

from migrate.detect import Detections
from migrate.differ import Difference, EventDiff, diff_event
from migrate.calibration import classic_side_summary
from migrate.events import DEFAULT_MAX_SKIPPED, ReadStats, check_input, read_events
from migrate.findings import VariantFindings
from migrate.recommend import Evidence, candidates, residuals
from migrate.runner import Runner
from migrate.translate import translate

__all__ = ["compare", "VARIANT_LABELS", "ProgressFn"]

VARIANT_LABELS = {
    "presets": "Actions presets, unchanged",
    "translated": "Translated from your classic settings",
    "user": "Your subscriptions",
    "recommended": "Translated + recommended changes",
}
ProgressFn = Callable[[str, int], None]
MAX_SKIPPED_EXAMPLES = 20


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("amplitude-migrate")
    except Exception:  # running from a source tree
        return "0+unknown"


@contextlib.contextmanager
def spooled(paths: Iterable[str]):
    """The input paths with standard input ('-') copied to a temporary file, so passes can re-read it."""
    paths = list(paths)
    tmp = None
    try:
        if "-" in paths:
            fd, tmp = tempfile.mkstemp(prefix="amplitude-migrate-", suffix=".events")
            with os.fdopen(fd, "wb") as out:
                shutil.copyfileobj(sys.stdin.buffer, out, 1 << 20)
            paths = [tmp if p == "-" else p for p in paths]
        yield paths
    finally:
        if tmp:
            os.unlink(tmp)


def _outcome(run, variant: str) -> EventDiff:
    vrun = run.variants[variant]
    outcome = diff_event(run.classic_records, vrun.records)
    for message in vrun.errors:
        outcome.differences.append(Difference("error", f"actions: {message}", counts=False))
    if run.classic_error:
        outcome.differences.append(Difference("error", f"classic: {run.classic_error}", counts=True))
    return outcome


def _run_pass(paths, runner: Runner, aggregates: dict[str, VariantFindings], *, label: str,
              detections: Detections | None = None, primary: str | None = None, stats: ReadStats | None = None,
              strict: bool = False, on_skip=None, progress: ProgressFn | None = None, dedupe: bool = False,
              names: dict | None = None) -> None:
    n = 0
    for event in read_events(paths, strict=strict, stats=stats, on_skip=on_skip, dedupe=dedupe, names=names):
        run = runner.run(event)
        for name, agg in aggregates.items():
            agg.add(event, _outcome(run, name), run.classic_records, run.variants[name].records)
        if detections is not None:
            detections.observe(event, run, primary)
        n += 1
        if progress is not None:
            progress(label, n)
    if progress is not None:
        progress(label, -n)  # negative: the pass is over


def _count(findings: VariantFindings, category: str) -> int:
    f = findings.findings.get(category)
    return f.count if f else 0


def _has(subs, key, value=None) -> bool:
    for s in subs:
        v = (s.get("mapping") or {}).get(key)
        if v and (value is None or v == value):
            return True
    return False


def compare(
    classic_settings,
    events: list[str],
    *,
    settings_file: str = "classic settings",
    subscriptions=None,
    subscriptions_file: str | None = None,
    mode: str = "cloud",
    classic_options: dict | None = None,
    recommend: bool = True,
    calibration: dict | None = None,
    calibration_file: str | None = None,
    amplitude_export: str | None = None,
    strict: bool = False,
    on_skip=None,
    progress: ProgressFn | None = None,
    dedupe: bool = False,
    max_skipped: float | None = DEFAULT_MAX_SKIPPED,
) -> dict:
    """Compare Classic with Actions on the events in `events` (paths; '-' is standard input) and return
    the report model (a JSON-able dict). `classic_settings` is the parsed settings document; `subscriptions`
    the parsed subscriptions document (None: the translated ones).

    Raises BadInput after the first pass when no event was read or more than `max_skipped` of the lines
    were skipped (None: no limit); `dedupe` drops repeated messageIds in every pass."""
    import actions
    import classic
    from migrate.canonical import records_from_requests

    # a calibration's options are the starting point; explicit --classic-option values win
    options = {**((calibration or {}).get("options") or {}), **(classic_options or {})}
    settings, settings_warnings = classic.load_settings(classic_settings, source=settings_file)
    emulator = classic.Emulator(settings, mode=mode, options=options)
    naming = emulator.options.get("page_naming", "viewed")
    translation = translate(classic_settings, mode=mode, page_naming=naming)
    engine_settings = translation.settings
    presets = actions.preset_subscriptions()
    if subscriptions is not None:
        primary_subs = actions.load_subscriptions(subscriptions, source=subscriptions_file or "subscriptions")
        primary_label = VARIANT_LABELS["user"]
    else:
        primary_subs = translation.subscriptions
        primary_label = VARIANT_LABELS["translated"]

    def engine(subs):
        return actions.Engine(settings=engine_settings, subscriptions=subs)

    stats = ReadStats()
    with spooled(events) as paths:
        # -- the classic side: the team's Amplitude export where it covers an event, else the emulator -------
        classic_side, export_counts = emulator, None
        if amplitude_export:
            from migrate.calibration import ExportBackedClassic, covered_records

            covered, export_counts = covered_records(settings, paths, amplitude_export, mode=mode,
                                                     options=emulator.options)
            classic_side = ExportBackedClassic(emulator, covered)
        # -- pass 1 --------------------------------------------------------------------------------
        aggregates = {"presets": VariantFindings(VARIANT_LABELS["presets"]),
                      "translated": VariantFindings(primary_label)}
        detections = Detections(min_id_length_set=_has(primary_subs, "min_id_length"),
                                batch_endpoint_set=_has(primary_subs, "use_batch_endpoint", True))
        runner = Runner(classic_side, {"presets": engine(presets), "translated": engine(primary_subs)},
                        records_from_requests)
        _run_pass(paths, runner, aggregates, label="pass 1/2: classic vs presets and translated",
                  detections=detections, primary="translated", stats=stats, strict=strict, on_skip=on_skip,
                  progress=progress, dedupe=dedupe, names=dict(zip(paths, ("<stdin>" if e == "-" else None
                                                                           for e in events))))
        if max_skipped is not None:
            check_input(stats, max_skipped)  # before any figure: wrong-shaped input is not evidence
        side_counts = (getattr(classic_side, "from_export", 0), getattr(classic_side, "emulated", 0))
        detection_list = detections.to_list()

        # -- pass 2: recommendations, verified -------------------------------------------------------
        translated = aggregates["translated"]
        steps = []
        if recommend and translated.events:
            evidence = Evidence(translated, detection_list, mode, settings)
            steps = candidates(primary_subs, evidence)
        recommended_subs = primary_subs
        recommended = translated
        recs: list[dict] = []
        if steps:
            step_aggs = {f"step{i}": VariantFindings(rule.title) for i, (rule, _, _) in enumerate(steps)}
            runner = Runner(classic_side, {f"step{i}": engine(subs) for i, (_, subs, _) in enumerate(steps)},
                            records_from_requests)
            _run_pass(paths, runner, step_aggs, label="pass 2/2: verifying recommendations", progress=progress,
                      dedupe=dedupe)
            before, previous = translated.parity, translated
            kept_rules = []
            for i, (rule, subs, change) in enumerate(steps):
                current = step_aggs[f"step{i}"]
                after = current.parity
                keep = after >= before or rule.parity_neutral
                recs.append({
                    "category": rule.category,
                    "title": rule.title,
                    "description": rule.description,
                    "change": change,
                    "parity_before": before,
                    "parity_after": after,
                    # parity moves only when a whole event matches; the category count shows the fix itself
                    "category_events_before": _count(previous, rule.category),
                    "category_events_after": _count(current, rule.category),
                    "kept": keep,
                })
                if keep:
                    kept_rules.append(rule)
                before, previous = after, current
            if len(kept_rules) == len(steps):
                recommended_subs = steps[-1][1]
                recommended = step_aggs[f"step{len(steps) - 1}"]
            elif kept_rules:
                # re-apply only the kept changes and measure the final set once more
                recommended_subs = primary_subs
                evidence = Evidence(translated, detection_list, mode, settings)
                for rule in kept_rules:
                    recommended_subs, _ = rule.apply(recommended_subs, evidence)
                final = {"recommended": VariantFindings(VARIANT_LABELS["recommended"])}
                runner = Runner(classic_side, {"recommended": engine(recommended_subs)}, records_from_requests)
                _run_pass(paths, runner, final, label="pass 3/3: final recommended set", progress=progress,
                          dedupe=dedupe)
                recommended = final["recommended"]
    variants = {
        "presets": aggregates["presets"].to_dict(),
        "translated": translated.to_dict(),
        # a new dict: without applicable recommendations `recommended` is the translated aggregate itself
        "recommended": {**recommended.to_dict(), "label": VARIANT_LABELS["recommended"] if subscriptions is None
                        else "Your subscriptions + recommended changes"},
    }
    return {
        "tool": {"name": "amplitude-migrate", "version": _version()},
        "generated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "inputs": {
            "events_files": ["<stdin>" if p == "-" else str(p) for p in events],
            "events": stats.read,
            "skipped": stats.skipped_count,
            "skipped_examples": [{"file": "<stdin>" if s.file == "-" else s.file, "line": s.line, "reason": s.reason}
                                 for s in stats.skipped[:MAX_SKIPPED_EXAMPLES]],
            "skipped_by_reason": dict(stats.skipped_by_reason),
            "duplicates": {"count": stats.duplicates, "examples": stats.duplicate_examples, "dropped": dedupe},
            "mode": mode,
            "classic_options": emulator.options,
            "settings_file": settings_file,
            "settings_warnings": settings_warnings,
            "subscriptions_file": subscriptions_file,
            "classic_side": classic_side_summary(calibration, calibration_file, export_counts, *side_counts),
        },
        "parity": {name: v["parity"] for name, v in variants.items()},
        "parity_core": {name: v["parity_core"] for name, v in variants.items()},
        "variants": variants,
        "translation_log": translation.log,
        "translation_notes": translation.notes,
        "recommendations": recs,
        "residuals": residuals(recommended),
        "detections": detection_list,
        "subscriptions": {"translated": primary_subs, "recommended": recommended_subs},
    }
