"""`compare`: replay a team's events through Classic and Actions and build the report model.

Each event is routed to a Classic connection mode by its library (`migrate.runner.Router`: `auto` by
default, server libraries through cloud mode, analytics.js through web, the mobile libraries through iOS or
Android). Every mode present gets its own translated subscriptions and its own recommendations: in Segment,
each source connects to its own destination instance.

Passes over the events (each pass re-reads the input files; standard input is spooled to a temporary file
first, so nothing is kept in memory):

1. Classic vs the untouched presets and vs the translated (or the user's) subscriptions; detections.
2. Per mode, Classic vs each recommendation applied cumulatively on top of that mode's translated
   subscriptions, all in the same pass, which gives chart and exact parity before and after every change.
   A step re-runs only the subscriptions it changed, on the events their triggers match
   (`migrate.runner.StepRunner`), and an event whose records a step left unchanged keeps the previous diff.
3. Only when a recommendation lowered parity and was dropped: the final recommended sets alone.

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

from migrate.canonical import records_from_requests
from migrate.calibration import classic_side_summary
from migrate.detect import Detections
from migrate.differ import Difference, EventDiff, diff_event
from migrate.events import DEFAULT_MAX_SKIPPED, ReadStats, check_input, read_events
from migrate.findings import SourceTable, StepFigures, VariantFindings
from migrate.impact import CHART, DEVICE_MODES, OUTSIDE_CHANGES, ImpactContext
from migrate.recommend import Evidence, candidates, residuals, settle
from migrate.runner import Router, Runner, StepRunner
from migrate.translate import translate

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


def _outcome(run, variant: str, ctx: ImpactContext | None = None) -> EventDiff:
    vrun = run.variants[variant]
    outcome = diff_event(run.classic_records, vrun.records, ctx)
    for message in vrun.errors:
        outcome.differences.append(Difference("error", f"actions: {message}", counts=False))
    if run.classic_error:
        outcome.differences.append(Difference("error", f"classic: {run.classic_error}", counts=True))
    return outcome


# residual categories of device-mode sources that only a change outside the mappings closes
_OUTSIDE_BY_CATEGORY = {"device_id": "sdk_device_id", "session": "sdk_session"}


def _context(event: dict, mode: str) -> ImpactContext:
    ctx = event.get("context")
    ip = ctx.get("ip") if isinstance(ctx, dict) else None
    return ImpactContext(mode=mode, event_ip=ip if isinstance(ip, str) and ip else None)


class _Mode:
    """Everything one connection mode needs: the emulator, the translation and the subscriptions."""

    def __init__(self, mode: str, settings, classic_settings_doc, options: dict, user_subs):
        import classic

        self.mode = mode
        self.emulator = classic.Emulator(settings, mode=mode, options=options)
        naming = self.emulator.options.get("page_naming", "viewed")
        self.translation = translate(classic_settings_doc, mode=mode, page_naming=naming)
        self.primary_subs = user_subs if user_subs is not None else self.translation.subscriptions
        self.recommended_subs = self.primary_subs
        self.events = 0

    def engine(self, subs):
        import actions

        return actions.Engine(settings=self.translation.settings, subscriptions=subs)


def _run_pass(paths, router: Router, runners: Callable[[str], Runner], feed, *, label: str,
              stats: ReadStats | None = None, strict: bool = False, on_skip=None,
              progress: ProgressFn | None = None, dedupe: bool = False, names: dict | None = None) -> None:
    """Route every event, run it through its mode's runner and hand (event, library, mode, run) to `feed`."""
    n = 0
    for event in read_events(paths, strict=strict, stats=stats, on_skip=on_skip, dedupe=dedupe, names=names):
        library, mode = router.route(event)
        run = runners(mode).run(event)
        feed(event, library, mode, run)
        n += 1
        if progress is not None:
            progress(label, n)
    if progress is not None:
        progress(label, -n)  # negative: the pass is over


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
) -> dict:
    """Compare Classic with Actions on the events in `events` (paths; '-' is standard input) and return
    the report model (a JSON-able dict). `classic_settings` is the parsed settings document; `subscriptions`
    the parsed subscriptions document (None: the translated ones). `mode` is "auto" (per event, by library)
    or one Classic connection mode for every event; `source_modes` maps library names to modes and wins.

    Raises BadInput after the first pass when no event was read or more than `max_skipped` of the lines
    were skipped (None: no limit); `dedupe` drops repeated messageIds in every pass."""
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

    modes: dict[str, _Mode] = {}
    export: dict = {"counts": None, "covered": {}}  # --amplitude-export: per mode, the events it covers

    def setup(m: str) -> _Mode:
        if m not in modes:
            ms = modes[m] = _Mode(m, settings, classic_settings, options, user_subs)
            if amplitude_export:
                # the classic side: the team's Amplitude export where it covers an event, else the emulator
                from migrate.calibration import ExportBackedClassic, covered_records, merge_export_counts

                select = Router(mode, source_modes)  # its own: routing counts warnings
                covered, counts = covered_records(settings, export["paths"], amplitude_export, mode=m,
                                                  options=ms.emulator.options,
                                                  select=lambda event: select.route(event)[1] == m)
                export["counts"] = merge_export_counts(export["counts"], counts)
                ms.emulator = ExportBackedClassic(ms.emulator, covered)
        return modes[m]

    stats = ReadStats()
    sources = SourceTable()
    with spooled(events) as paths:
        export["paths"] = paths
        # -- pass 1 --------------------------------------------------------------------------------
        aggregates = {"presets": VariantFindings(VARIANT_LABELS["presets"]),
                      "translated": VariantFindings(primary_label)}
        per_mode: dict[str, VariantFindings] = {}  # translated findings per mode: the evidence for its rules
        detections: Detections | None = None
        runners1: dict[str, Runner] = {}

        def runner1(m: str) -> Runner:
            if m not in runners1:
                ms = setup(m)
                runners1[m] = Runner(ms.emulator, {"presets": ms.engine(presets),
                                                   "translated": ms.engine(ms.primary_subs)},
                                     records_from_requests)
            return runners1[m]

        def feed1(event, library, m, run):
            nonlocal detections
            ctx = _context(event, m)
            modes[m].events += 1
            for name, agg in aggregates.items():
                outcome = _outcome(run, name, ctx)
                agg.add(event, outcome, run.classic_records, run.variants[name].records)
                sources.add(library, m, name, outcome, first=name == "presets")
                if name == "translated":
                    per_mode.setdefault(m, VariantFindings(primary_label)).add(
                        event, outcome, run.classic_records, run.variants[name].records)
            if detections is None:
                subs = modes[m].primary_subs
                detections = Detections(min_id_length_set=_has(subs, "min_id_length"),
                                        batch_endpoint_set=_has(subs, "use_batch_endpoint", True))
            detections.observe(event, run, "translated")

        _run_pass(paths, router, runner1, feed1, label="pass 1/2: classic vs presets and translated",
                  stats=stats, strict=strict, on_skip=on_skip, progress=progress, dedupe=dedupe,
                  names=dict(zip(paths, ("<stdin>" if e == "-" else None for e in events))))
        if max_skipped is not None:
            check_input(stats, max_skipped)  # before any figure: wrong-shaped input is not evidence
        if detections is None:
            detections = Detections(min_id_length_set=False, batch_endpoint_set=False)
        detection_list = detections.to_list()
        translated = aggregates["translated"]
        # counted once, in pass 1: later passes replay the same events
        side_counts = (sum(getattr(ms.emulator, "from_export", 0) for ms in modes.values()),
                       sum(getattr(ms.emulator, "emulated", 0) for ms in modes.values()))

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
                paths, router, modes, steps, per_mode, sources, progress, detection_list, settings, dedupe)
            if rerun:
                final = VariantFindings(VARIANT_LABELS["recommended"])
                final_by_mode: dict[str, VariantFindings] = {}
                sources.reset("recommended")
                runners3 = {m: Runner(ms.emulator, {"recommended": ms.engine(ms.recommended_subs)},
                                      records_from_requests) for m, ms in modes.items()}

                def feed3(event, library, m, run):
                    outcome = _outcome(run, "recommended", _context(event, m))
                    final.add(event, outcome, run.classic_records, run.variants["recommended"].records)
                    final_by_mode.setdefault(m, VariantFindings(VARIANT_LABELS["recommended"])).add(
                        event, outcome, run.classic_records, run.variants["recommended"].records)
                    sources.add(library, m, "recommended", outcome, first=False)

                _run_pass(paths, router, runners3.__getitem__, feed3, label="pass 3/3: final recommended set",
                          progress=progress, dedupe=dedupe)
                recommended, recommended_by_mode = final, final_by_mode
        elif recommend:
            sources.copy("translated", "recommended")

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
    main_setup = modes.get(main) or _Mode(main, settings, classic_settings, options, user_subs)
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


def _mappable_chart(outcome: EventDiff) -> bool:
    """A chart-level difference a mapping could close (not only the SDK's device ids or sessions)."""
    return any(d.impact == CHART and d.outside is None for d in outcome.differences)


def _verify(paths, router, modes, steps, per_mode, sources, progress, detection_list, settings, dedupe=False):
    """Pass 2: every mode's recommendation steps, cumulatively, in one pass (with the mode's starting set as
    "base", so each step is compared with the one before it per subscription). Returns the overall
    recommended findings, per mode, the recommendation entries and whether the settled sets (rules that moved
    no figure dropped, changes kept only where they changed what is sent) need a final pass of their own."""
    names = {m: [f"step{i}" for i in range(len(found))] for m, found in steps.items()}
    step_aggs = {m: {n: StepFigures(rule.title) for n, (rule, _, _) in zip(names[m], found)}
                 for m, found in steps.items()}
    # per mode and step: subscription name -> [events, changed, chart before, after, exact before, after,
    # events it newly fires for]
    per_sub: dict[str, dict[str, dict[str, list[int]]]] = {m: {n: {} for n in names[m]} for m in steps}
    overall = VariantFindings(VARIANT_LABELS["recommended"])
    by_mode: dict[str, VariantFindings] = {}
    runners: dict[str, StepRunner] = {}

    def runner(m):
        if m not in runners:
            # each step re-runs only the subscriptions it changed (migrate.runner.StepRunner)
            ms = modes[m]
            variants = {"base": ms.primary_subs}
            if m in steps:
                variants.update({n: subs for n, (_, subs, _) in zip(names[m], steps[m])})
            runners[m] = StepRunner(ms.emulator, variants, ms.engine, records_from_requests)
        return runners[m]

    def feed(event, library, m, run):
        ctx = _context(event, m)
        last = names[m][-1] if m in steps else "base"
        outcomes: dict = {}
        previous = None
        for name in run.variants:
            # a step that left this event's records and errors as they were: the previous step's diff
            outcomes[name] = outcomes[previous] if name in run.repeats else _outcome(run, name, ctx)
            previous = name
        prev = "base"
        for name in names.get(m, ()):
            outcome, classic_records, records = outcomes[name], run.classic_records, run.variants[name].records
            step_aggs[m][name].add(event, outcome, classic_records, records)
            a, b, po = run.variants[prev], run.variants[name], outcomes[prev]
            changed = name not in run.repeats and (a.records != b.records or a.errors != b.errors)
            fired_before = {f["subscription"] for f in a.fired}
            for sub in fired_before | {f["subscription"] for f in b.fired}:
                row = per_sub[m][name].setdefault(sub, [0] * 7)
                row[0] += 1
                row[6] += sub not in fired_before  # events it fires for only from this step on
                row[1] += changed
                row[2] += _mappable_chart(po)
                row[3] += _mappable_chart(outcome)
                row[4] += not po.matched
                row[5] += not outcome.matched
            prev = name
        outcome = outcomes[last]
        overall.add(event, outcome, run.classic_records, run.variants[last].records)
        by_mode.setdefault(m, VariantFindings(VARIANT_LABELS["recommended"])).add(
            event, outcome, run.classic_records, run.variants[last].records)
        sources.add(library, m, "recommended", outcome, first=False)

    _run_pass(paths, router, runner, feed, label="pass 2/2: verifying recommendations", progress=progress,
              dedupe=dedupe)
    recs: list[dict] = []
    rerun = False
    for m, found in steps.items():
        ms = modes[m]
        ms.recommended_subs, entries = settle(
            found, [step_aggs[m][n] for n in names[m]], [per_sub[m][n] for n in names[m]], per_mode[m],
            ms.primary_subs, Evidence(per_mode[m], detection_list, m, settings), m)
        recs.extend(entries)
        rerun = rerun or ms.recommended_subs != found[-1][1]
    return overall, by_mode, recs, rerun


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
