"""`compare`: replay a team's events through Classic and Actions and build the report model.

Each event is routed to a Classic connection mode by its library (`migrate.runner.Router`: `auto` by
default, server libraries through cloud mode, analytics.js through web, the mobile libraries through iOS or
Android). Every mode present gets its own translated subscriptions and its own recommendations: in Segment,
each source connects to its own destination instance.

Passes over the events, each on the replay pipeline (`migrate.replay`: chunks, any number of workers, the same
result; each pass re-reads the input files; standard input is spooled to a temporary file
first, so nothing is kept in memory):

1. Classic vs the untouched presets and vs the translated (or the user's) subscriptions; detections.
2. Per mode, Classic vs each recommendation applied cumulatively on top of that mode's translated
   subscriptions, all in the same pass, which gives chart and exact parity before and after every change.
   A step re-runs only the subscriptions it changed, on the events their triggers match and where the
   mapping keys it changed resolve to something new (`migrate.runner.StepRunner`), and an event whose records
   a step left unchanged keeps the previous diff.
3. Only when the settled recommended sets (rules that did not help dropped, changes kept where they changed
   what is sent) may send something else than the last cumulative step on some event: the final recommended
   sets alone. The verification pass compares every version of the last step's subscriptions with it, event by
   event (`runner.same_outputs`); when each settled subscription is the last step's or a version shown to send
   the same, the last step's findings are the settled sets' and this pass is not run.

The first pass keeps, per chunk, Classic's output and the translated set's per subscription (`migrate.kept`);
the later passes take them instead of running them again, so Classic runs once per event.

Every difference carries its impact (`migrate.impact`): `parity` in the model is chart parity, `parity_exact`
every stored field.

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

from migrate import replay
from migrate.calibration import classic_side_summary
from migrate.detect import Detections
from migrate.events import DEFAULT_MAX_SKIPPED, ReadStats, check_input
from migrate.inputs import display_name, expand_inputs
from migrate.findings import SourceTable, VariantFindings
from migrate.impact import DEVICE_MODES, OUTSIDE_CHANGES
from migrate.recommend import Evidence, candidates, residuals, settle
from migrate.replay import CompareSetup, FinalPass, FirstPass, FirstPassPartial, ModeSetup, VerifyPass
from migrate.runner import Router, same_outputs

__all__ = ["compare", "VARIANT_LABELS", "ProgressFn", "headline"]

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
    """The input paths (patterns and URL folders expanded, once for every pass) with standard input ('-')
    copied to a temporary file, so passes can re-read it."""
    paths = expand_inputs(paths)
    tmp = None
    try:
        if "-" in paths:
            fd, tmp = tempfile.mkstemp(prefix="amplitude-migrate-", suffix=".events")
            with os.fdopen(fd, "wb") as out:
                shutil.copyfileobj(sys.stdin.buffer, out, 1 << 20)
            paths = [tmp if p == "-" else p for p in paths]
        yield paths, {tmp: "<stdin>"} if tmp else {}
    finally:
        if tmp:
            os.unlink(tmp)


@contextlib.contextmanager
def _kept_dir(later_passes: bool):
    """A private temporary directory for what the first pass keeps for the later ones (`migrate.kept`), removed
    at the end; None when no pass follows the first."""
    if not later_passes:
        yield None
        return
    with tempfile.TemporaryDirectory(prefix="amplitude-migrate-kept-", ignore_cleanup_errors=True) as directory:
        yield directory


# residual categories of device-mode sources that only a change outside the mappings closes
_OUTSIDE_BY_CATEGORY = {"device_id": "sdk_device_id", "session": "sdk_session"}


def _generated_at() -> str:
    """Now, or SOURCE_DATE_EPOCH when set (reproducible reports)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.strip().isdigit():
        return datetime.fromtimestamp(int(epoch), timezone.utc).isoformat(timespec="seconds")
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _replay(job, paths, executor, names, drops, chunk_lines, progress: ProgressFn | None, label: str,
            on_partial=None):
    """One pass: the job over every chunk, folded in input order; progress per chunk."""
    n = 0

    def seen(partial):
        nonlocal n
        if on_partial is not None:
            on_partial(partial)
        n += partial.events
        if progress is not None:
            progress(label, n)

    total = replay.fold(replay.execute(job, replay.plan(paths, names=names, chunk_lines=chunk_lines,
                                                        drops=drops), executor), seen)
    if progress is not None:
        progress(label, -n)  # negative: the pass is over
    return total


def compare(
    classic_settings,
    events: list[str],
    *,
    settings_file: str = "classic settings",
    subscriptions=None,
    subscriptions_file: str | None = None,
    mode: str = "auto",
    source_modes: dict[str, str] | None = None,
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
    executor=None,
    chunk_lines: int | None = None,
) -> dict:
    """Compare Classic with Actions on the events in `events` (paths; '-' is standard input) and return
    the report model (a JSON-able dict). `classic_settings` is the parsed settings document; `subscriptions`
    the parsed subscriptions document (None: the translated ones). `mode` is "auto" (per event, by library)
    or one Classic connection mode for every event; `source_modes` maps library names to modes and wins.

    Raises BadInput after the first pass when no event was read or more than `max_skipped` of the lines
    were skipped (None: no limit); `dedupe` drops repeated messageIds in every pass.

    Every pass runs on `migrate.replay`: `executor` (None: this process; else a concurrent.futures
    executor, e.g. `replay.workers_executor(N)`) gives the same model for any number of workers.
    `on_skip` is called with each skipped line as its chunk is folded."""
    import actions
    import classic

    # a calibration's options are the starting point; explicit --option values win
    options = {**((calibration or {}).get("options") or {}), **(classic_options or {})}
    settings, settings_warnings = classic.load_settings(classic_settings, source=settings_file)
    router = Router(mode, source_modes)
    # fail on bad options before reading any event (an Emulator checks them)
    classic.Emulator(settings, mode="cloud", options=options)
    presets = actions.preset_subscriptions()
    user_subs = None
    if subscriptions is not None:
        user_subs = actions.load_subscriptions(subscriptions, source=subscriptions_file or "subscriptions")
        primary_label = VARIANT_LABELS["user"]
    else:
        primary_label = VARIANT_LABELS["translated"]

    stats = ReadStats()
    sources = SourceTable()
    with spooled(events) as (paths, names), _kept_dir(recommend) as keep_dir:
        setup = CompareSetup(settings, classic_settings, options, user_subs, presets, mode, source_modes,
                             export=(paths, amplitude_export) if amplitude_export else None)
        setup.keep_dir = keep_dir
        if amplitude_export:
            executor = None  # the export's index is built and kept in this process
        drops = None
        if dedupe:
            # which events repeat an earlier messageId, before any replay (they are dropped in every pass)
            drops = replay.find_duplicates(paths, stats, executor, names=names, chunk_lines=chunk_lines)
        duplicates = None if dedupe else replay.Duplicates(stats)

        def first_seen(partial):
            if duplicates is not None:
                duplicates.feed(partial.ids, partial.name)
            if on_skip is not None:
                for skip in partial.read.skipped:
                    on_skip(skip)

        # -- pass 1 --------------------------------------------------------------------------------
        job1 = FirstPass(setup, {"presets": VARIANT_LABELS["presets"], "translated": primary_label},
                         strict=strict)
        first = _replay(job1, paths, executor, names, drops, chunk_lines, progress,
                        "pass 1/2: classic vs presets and translated", first_seen)
        if first is None:  # no input files at all
            first = FirstPassPartial()
            job1.begin(first)
        stats.merge(first.read)
        router.merge(first.router)
        if max_skipped is not None:
            check_input(stats, max_skipped)  # before any figure: wrong-shaped input is not evidence
        modes: dict[str, ModeSetup] = {}
        for m, n in first.modes.items():
            modes[m] = setup.mode(m)
            modes[m].events = n
        detections = first.detections or Detections(min_id_length_set=False, batch_endpoint_set=False)
        detection_list = detections.to_list()
        aggregates = first.variants
        translated = aggregates["translated"]
        per_mode = first.per_mode
        sources.merge(first.sources)
        # counted once, in pass 1: later passes replay the same events
        side_counts = tuple(first.side)

        # -- pass 2: recommendations per mode, verified ------------------------------------------------
        steps: dict[str, list] = {}
        if recommend:
            for m, findings in per_mode.items():
                found = candidates(modes[m].primary_subs, Evidence(findings, detection_list, m, settings))
                if found:
                    steps[m] = found
        recommended = translated
        recommended_by_mode: dict[str, VariantFindings] = dict(per_mode)
        recs: list[dict] = []
        if steps:
            recommended, recommended_by_mode, recs, rerun = _verify(
                paths, setup, modes, steps, per_mode, sources, progress, detection_list, settings,
                executor=executor, names=names, drops=drops, chunk_lines=chunk_lines)
            if rerun:
                sources.reset("recommended")
                job3 = FinalPass(setup, {m: ms.recommended_subs for m, ms in modes.items()},
                                 VARIANT_LABELS["recommended"])
                final = _replay(job3, paths, executor, names, drops, chunk_lines, progress,
                                "pass 3/3: final recommended set")
                sources.merge(final.sources)
                recommended, recommended_by_mode = final.final, final.by_mode
        elif recommend:
            sources.copy("translated", "recommended")
        export = {"counts": setup.export_counts}

    variants = {
        "presets": aggregates["presets"].to_dict(),
        "translated": translated.to_dict(),
    }
    if recommend:
        # a new dict: without applicable recommendations `recommended` is the translated aggregate itself
        variants["recommended"] = {**recommended.to_dict(), "label": VARIANT_LABELS["recommended"]
                                   if subscriptions is None else "Your subscriptions + recommended changes"}
    variant_names = list(variants)
    main = max(modes.values(), key=lambda ms: ms.events).mode if modes else (mode if mode != "auto" else "cloud")
    main_setup = modes.get(main) or setup.mode(main)
    residual_list = []
    for m, findings in sorted(recommended_by_mode.items(), key=lambda kv: -modes[kv[0]].events):
        for r in residuals(findings, m):
            entry = {**r, "mode": m}
            f = findings.findings.get(r["category"])
            if f is not None:
                entry["impact"] = f.impact
            key = _OUTSIDE_BY_CATEGORY.get(r["category"]) if m in DEVICE_MODES else None
            if key:
                # the SDK generated these values on the device: no mapping reaches them
                entry["outside_mappings"] = key
                entry["explanation"] = OUTSIDE_CHANGES[key]
            residual_list.append(entry)
    final_name = "recommended" if recommend else "translated"
    model = {
        "tool": {"name": "amplitude-migrate", "version": _version()},
        "generated_at": _generated_at(),
        "inputs": {
            "events_files": ["<stdin>" if p == "-" else display_name(str(p)) for p in events],
            "events": stats.read,
            "skipped": stats.skipped_count,
            "skipped_examples": [{"file": "<stdin>" if s.file == "-" else s.file, "line": s.line, "reason": s.reason}
                                 for s in stats.skipped[:MAX_SKIPPED_EXAMPLES]],
            "skipped_by_reason": dict(stats.skipped_by_reason),
            "duplicates": {"count": stats.duplicates, "examples": stats.duplicate_examples, "dropped": dedupe},
            "mode": mode,
            "source_modes": dict(source_modes or {}),
            "modes": {m: ms.events for m, ms in sorted(modes.items(), key=lambda kv: -kv[1].events)},
            "recommend": recommend,
            "classic_options": main_setup.emulator.options,
            "settings_file": settings_file,
            "settings_warnings": settings_warnings,
            "routing_warnings": router.warnings(),
            "subscriptions_file": subscriptions_file,
            "classic_side": classic_side_summary(calibration, calibration_file, export["counts"], *side_counts),
        },
        # chart parity: the share of events with nothing that changes numbers in charts
        "parity": {name: variants[name]["parity"] if name in variants else None
                   for name in ("presets", "translated", "recommended")},
        # every stored field identical
        "parity_exact": {name: variants[name]["parity_exact"] if name in variants else None
                         for name in ("presets", "translated", "recommended")},
        "breakdowns": variants[final_name]["breakdowns"],
        "sources": sources.to_list(variant_names),
        "variants": variants,
        "translation_log": main_setup.translation.log,
        "translation_notes": main_setup.translation.notes,
        "recommendations": recs,
        "residuals": residual_list,
        "outside_mappings": variants[final_name]["outside_mappings"],
        "detections": detection_list,
        "subscriptions": {"translated": main_setup.primary_subs,
                          "recommended": main_setup.recommended_subs if recommend else None},
        "modes": {
            m: {"events": ms.events, "translation_log": ms.translation.log,
                "translation_notes": ms.translation.notes,
                "subscriptions": {"translated": ms.primary_subs,
                                  "recommended": ms.recommended_subs if recommend else None}}
            for m, ms in sorted(modes.items(), key=lambda kv: -kv[1].events)
        },
    }
    model["subscriptions"]["mode"] = main
    final = variants[final_name]
    # what the recommended mappings closed, and what is left: needing a change outside the mappings, or not
    model["residual_split"] = {
        "chart_events_translated": translated.chart_events,
        "closed_by_mappings": translated.chart_events - (final["events"] - final["matched"]) if recommend else 0,
        "chart_events_remaining": final["events"] - final["matched"],
        "outside_mappings": final["outside_mappings"]["events"],
        "other": final["events"] - final["matched"] - final["outside_mappings"]["events"],
    }
    model["verdict"] = headline(model)
    return model


def _verify(paths, setup, modes, steps, per_mode, sources, progress, detection_list, settings, *, executor=None,
            names=None, drops=None, chunk_lines=None):
    """Pass 2: every mode's recommendation steps, cumulatively, in one pass (with the mode's starting set as
    "base", so each step is compared with the one before it per subscription; `replay.verify_event`). Returns
    the overall recommended findings, per mode, the recommendation entries and whether the settled sets (rules
    that moved no figure dropped, changes kept only where they changed what is sent) need a final pass of
    their own."""
    job = VerifyPass(setup, {m: [(rule.title, subs) for rule, subs, _ in found] for m, found in steps.items()},
                     VARIANT_LABELS["recommended"])
    result = _replay(job, paths, executor, names, drops, chunk_lines, progress,
                     "pass 2/2: verifying recommendations")
    sources.merge(result.sources)
    step_names = job.names
    recs: list[dict] = []
    rerun = False
    for m, found in steps.items():
        ms = modes[m]
        ms.recommended_subs, entries = settle(
            found, [result.steps[m][n] for n in step_names[m]], [result.per_sub[m][n] for n in step_names[m]],
            per_mode[m], ms.primary_subs, Evidence(per_mode[m], detection_list, m, settings), m)
        recs.extend(entries)
        # the last step's findings are the settled set's when the two send the same on every event: the
        # same subscriptions, or versions of them the replay showed to send what the last step's sent
        rerun = rerun or (ms.recommended_subs != found[-1][1] and (m not in result.differed or not same_outputs(
            job.variants(ms), step_names[m][-1], result.differed[m], ms.recommended_subs)))
    return result.overall, result.by_mode, recs, rerun


def _pct(value) -> str:
    if value is None:
        return "n/a"
    text = f"{value * 100:.1f}"
    if text == "100.0" and value < 1:
        text = "99.9"
    return text + "%"


HEADLINE_VALUE_CHARS = 32  # a value longer than this (a user agent, say) is cut in the sentence, never in tables


def _pair_text(pair) -> str:
    def show(v):
        text = "(none)" if v is None else str(v)
        return text if len(text) <= HEADLINE_VALUE_CHARS else text[:HEADLINE_VALUE_CHARS - 1] + "…"

    return f"{show(pair[0])} → {show(pair[1])}"


def headline(model: dict) -> dict:
    """The one sentence a team lead can act on, and the figures behind it."""
    variants = model["variants"]
    name = "recommended" if "recommended" in variants else "translated"
    v = variants[name]
    subject = {
        "recommended": "With the recommended subscriptions",
        "translated": "With your subscriptions" if model["inputs"].get("subscriptions_file")
        else "With the subscriptions translated from your classic settings",
    }[name]
    events = v["events"]
    if not events:
        return {"variant": name, "sentence": "No events were compared: nothing can be said about your charts yet.",
                "breakdown_fields": []}
    breakdowns = v["breakdowns"]
    fields = list(breakdowns)
    parts = [f"{subject}, {_pct(v['parity'])} of events ({v['matched']} of {events}) land in Amplitude with "
             f"the same numbers"]
    outside = v["outside_mappings"]["events"]
    lost = v["outcomes"]["lost"]
    changed = events - v["matched"]
    if changed:
        detail = []
        if lost:
            detail.append(f"{lost} lose a record Classic sent")
        if outside:
            detail.append(f"{outside} differ only by the Amplitude SDK's device ids or sessions, a change outside "
                          f"Segment's mappings (with that change, {_pct((v['matched'] + outside) / events)} would "
                          f"land with the same numbers)")
        if detail:
            parts.append(f"of the {changed} that change, " + " and ".join(detail))
    if fields:
        shown = []
        for f in fields[:3]:
            pairs = breakdowns[f]["pairs"]
            top = f" ({_pair_text(pairs[0])})" if pairs else ""
            shown.append(f"{f}{top}")
        more = f" and {len(fields) - 3} more" if len(fields) > 3 else ""
        noun = "field changes" if len(fields) == 1 else "fields change"
        parts.append(f"{len(fields)} breakdown {noun}: " + ", ".join(shown) + more)
    else:
        parts.append("no breakdown field changes")
    return {"variant": name, "sentence": "; ".join(parts) + ".", "parity": v["parity"],
            "parity_exact": v["parity_exact"], "events": events, "chart_events": changed, "lost": lost,
            "outside_mappings": outside, "breakdown_fields": fields}
