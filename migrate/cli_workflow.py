"""The migration workflow commands: `translate` and `compare` (thin: parse, call the library, print)."""

from __future__ import annotations

import os
from pathlib import Path

import click
from tabulate import tabulate

from migrate.cli_io import InputError, settings_secrets, write_output
from migrate.cli_errors import Command
from migrate.cli_options import (
    MODES,
    amplitude_export_option,
    calibration_option,
    classic_options_option,
    dask_option,
    events_argument,
    mode_option,
    output_option,
    parse_pairs,
    quiet_option,
    replay_executor,
    runtime_build_option,
    settings_option,
    strict_option,
    subscriptions_option,
    workers_option,
)
from migrate.cli_pii import pii_options, pii_policy
from migrate.config import json_text, load_settings_file, load_subscriptions_doc
from migrate.errors import GateFailed
from migrate.gate import Threshold
from migrate.progress import PassProgress

__all__ = ["translate_cmd", "compare_cmd"]


SUBSCRIPTIONS_WIDTH = 100  # subscription files: short objects ({"@path": ...}) on one line


def _write_json(path: str | None, obj, width: int | None = None) -> None:
    write_output(path, json_text(obj, indent=2, width=width) + "\n")


def _log_table(log: list[dict]) -> str:
    rows = [(e["key"], e["status"], _wrap(e["reason"], 90)) for e in log]
    return tabulate(rows, headers=("setting", "status", "how / why"), tablefmt="simple")


def _wrap(text: str, width: int) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(text, width)) or ""


def terraform_options(func):
    """--destination-id, --existing and --terraform-layout: where Terraform output goes and what it replaces."""
    func = click.option("--terraform-layout", "terraform_layout", nargs=2, type=(click.Choice(["gitsync"]),
                        click.Path(file_okay=False)), metavar="gitsync DIR",
                        help="Also write one file per subscription into a Segment Git-sync repository folder "
                             "(destination_subscriptions/<destination id>_<subscription id>.tf); files of replaced "
                             "subscriptions are updated in place. Needs --destination-id.")(func)
    func = click.option("--existing", "existing_path", type=click.Path(),
                        help="The Actions destination's current subscriptions: Terraform (.tf file or Git-sync "
                             "folder, PATH#DESTINATION_ID), a Public API JSON answer/backup with ids, or "
                             "segment:DESTINATION_ID to list them through the Public API (segment-eu: for EU; "
                             "token in SEGMENT_TOKEN). Those replaced (same name and action) are marked and get "
                             "an import block.")(func)
    func = click.option("--destination-id", "destination_id", metavar="ID",
                        help="The Amplitude (Actions) destination id for Terraform output (default: a variable, "
                             "or the destination of --existing).")(func)
    return func


def _write_terraform(subs, output_path, destination_id, existing_path, layout, title, *, single: bool) -> list[str]:
    """Write the subscriptions as Terraform (one file and/or a Git-sync layout); lines to report on stderr."""
    from migrate import terraform

    lines: list[str] = []
    if not single and not layout:
        return lines
    existing = terraform.load_existing_any(existing_path) if existing_path else []
    if destination_id is None:
        ids = {e.destination_id for e in existing if e.destination_id}
        destination_id = ids.pop() if len(ids) == 1 else None
    if single:
        text, planned = terraform.render_subscriptions(
            subs, destination_id=destination_id, existing=existing,
            title=f"Amplitude (Actions) subscriptions {title}, written by amplitude-migrate.\n"
                  "Review, then open a pull request (or terraform plan / apply) with the segmentio/segment provider.")
        write_output(output_path, text)
        lines += _replacement_lines(planned)
    if layout:
        if not destination_id:
            raise InputError("--terraform-layout gitsync needs --destination-id (the Amplitude (Actions) "
                             "destination the subscriptions belong to)")
        result = terraform.write_gitsync(subs, layout[1], destination_id)
        lines.append(f"git sync: {len(result.updated)} subscription files updated in place, {len(result.created)} "
                     f"created under {Path(layout[1]) / 'destination_subscriptions'}")
        if not single:
            lines += _replacement_lines(result.planned)
        for e in result.left:
            lines.append(f"warning: existing subscription {e.name!r} ({'enabled' if e.enabled else 'disabled'}) is "
                         f"not in the new set and stays as it is; to remove it: git rm {e.file}")
    return lines


def _replacement_lines(planned) -> list[str]:
    out = []
    for p in planned:
        if p.replaces is not None:
            ident = f" (id {p.replaces.id}, import block written)" if p.replaces.id else ""
            out.append(f"replaces existing subscription {p.replaces.name!r}{ident}")
    return out


@click.command("translate", cls=Command)
@click.argument("classic_file", metavar="CLASSIC.json", type=click.Path())
@output_option("Write the subscriptions here (default: standard output).")
@click.option("--format", "fmt", type=click.Choice(["runtime", "public-api", "terraform"]), default="runtime",
              show_default=True,
              help="runtime: {name, partnerAction, subscribe, mapping}; public-api: {name, actionSlug, trigger, "
                   "settings} as the Segment Public API stores subscriptions; terraform: segment_destination_"
                   "subscription resources for Segment's Terraform provider (see docs/terraform.md).")
@terraform_options
@click.option("--log", "log_path", type=click.Path(dir_okay=False),
              help="Write the translation log as JSON: one entry per setting key with status and reason.")
@mode_option(help_text="The classic connection mode you are migrating from.")
@click.option("--page-naming", type=click.Choice(["viewed", "loaded", "code2017"]), default="viewed",
              show_default=True, help="Which classic cloud page naming to reproduce: the page_naming option of "
                   "`classic run --option` (docs/classic-run.md lists the variants).")
def translate_cmd(classic_file, output_path, fmt, log_path, mode, page_naming, destination_id, existing_path,
                  terraform_layout):
    """Translate Amplitude (Classic) settings into Amplitude (Actions) subscriptions.

    CLASSIC.json is a plain object of classic setting keys, a Segment Public API destination document
    (settings under data.destination.settings) or Terraform: a .tf file with the classic segment_destination,
    or a Git-sync folder (PATH#DESTINATION_ID picks one); masked secrets stay opaque. The translation log (printed as
    a table on standard error when the subscriptions go to standard output) accounts for every setting:
    exact, approximated, not_migratable or default, with the reason.

    \b
    Example:
        amplitude-migrate translate examples/classic-settings.json -o subs.json --log translation-log.json
        amplitude-migrate translate examples/gitsync/destinations/64acf4667eac8c9dfe9d2b69.tf \\
            --format terraform --existing examples/gitsync#63dc1141d2f05944a19d6f9e -o amplitude-actions.tf
    """
    from migrate.translate import to_public_api, translate

    import classic

    settings_secrets(classic_file)
    doc = load_settings_file(classic_file, "classic settings")
    classic.load_settings(doc, source=classic_file)  # errors name the file
    result = translate(doc, mode=mode, page_naming=page_naming)
    written = _write_terraform(result.subscriptions, output_path, destination_id, existing_path,
                               terraform_layout, f"translated from {classic_file}", single=fmt == "terraform")
    subs = result.subscriptions if fmt == "runtime" else to_public_api(result.subscriptions)
    if fmt != "terraform" and not (terraform_layout and output_path is None):  # a layout alone is the output
        _write_json(output_path, subs, SUBSCRIPTIONS_WIDTH)
    elif output_path not in (None, "-"):
        click.echo(f"wrote {output_path}", err=True)
    for line in written:
        click.echo(line, err=True)
    to_err = output_path in (None, "-")
    click.echo(_log_table(result.log), err=to_err)
    for note in result.notes:
        click.echo(f"note: {note}", err=to_err)
    counts = {}
    for e in result.log:
        counts[e["status"]] = counts.get(e["status"], 0) + 1
    click.echo(f"{len(subs)} subscriptions; settings: " + ", ".join(f"{v} {k}" for k, v in sorted(counts.items())),
               err=to_err)
    if log_path:
        _write_json(log_path, result.log)


def _parse_source_modes(values) -> dict:
    out = parse_pairs(values, "--source-mode", "analytics.js=cloud")
    for library, mode in out.items():
        if mode not in MODES:
            raise InputError(f"--source-mode {library}={mode}: the mode must be one of {', '.join(MODES)}")
        if not library:
            raise InputError(f"--source-mode ={mode}: name the library (context.library.name), e.g. analytics.js")
    return out


def _summary(model: dict) -> str:
    p = model["parity"]
    lines = [tabulate(
        [(name, model["variants"][name]["label"], "n/a" if v is None else f"{v * 100:.1f}%",
          f'{model["variants"][name]["matched"]}/{model["variants"][name]["events"]}') for name, v in p.items()
         if name in model["variants"]],
        headers=("variant", "subscriptions", "chart parity", "same numbers"), tablefmt="simple")]
    variants = model["variants"]
    cats = (variants.get("recommended") or variants["translated"])["categories"]
    if cats:
        lines.append("")
        lines.append(tabulate([(c["title"], c["count"]) for c in cats], headers=("remaining difference", "events"),
                              tablefmt="simple"))
    found = [d for d in model["detections"] if d["count"]]
    if found:
        lines.append("")
        lines.append(tabulate([(d["title"], d["count"]) for d in found], headers=("detection", "count"),
                              tablefmt="simple"))
    return "\n".join(lines)


@click.command("compare", cls=Command)
@settings_option("classic")
@subscriptions_option("compare")
@mode_option(auto=True, help_text="Classic connection mode to emulate. auto: per event by context.library.name "
             "(server libraries: cloud; analytics.js: web; analytics-ios/-swift: ios; analytics-android/-kotlin: "
             "android; others: cloud, with a warning).")
@click.option("--source-mode", "source_modes", multiple=True, metavar="LIBRARY=MODE",
              help="The mode Classic ran one library's events in, e.g. analytics.js=cloud when your web source "
                   "used cloud mode (repeatable; wins over --mode).")
@click.option("--report", "report_dir", type=click.Path(file_okay=False),
              help="Write report.html, report.md, report.json and recommended-subscriptions.json (and .tf, for "
                   "Segment's Terraform provider) here.")
@click.option("--fail-under", type=Threshold(), metavar="SHARE",
              help="Exit 1 when the chart parity (report.json `parity`) of the configuration the report recommends "
                   "deploying (yours with --subscriptions, else translated + recommended) is below SHARE: 0.95, "
                   "95% and 95 all mean 95% (a value up to 1 without % is a fraction, as in report.json).")
@click.option("--fail-under-exact", type=Threshold(), metavar="SHARE",
              help="Exit 1 when the exact parity (report.json `parity_exact`: every stored field) of that "
                   "configuration is below SHARE.")
@click.option("--max-skipped", type=Threshold(), default="1%", show_default=True, metavar="SHARE",
              help="Exit 2 before any figure when more than this share of the input lines is not Segment events.")
@click.option("--dedupe", is_flag=True,
              help="Drop events that repeat an earlier messageId, as Segment's deduplication does (they are "
                   "counted and reported either way).")
@classic_options_option
@calibration_option
@amplitude_export_option(use="The classic side of the events it covers is what Amplitude stored; the "
                             "emulator covers the rest (the report gives both counts).")
@click.option("--no-recommend", is_flag=True,
              help="Skip the recommendation passes: no recommended subscriptions, no recommended figures.")
@runtime_build_option
@workers_option
@dask_option
@strict_option
@quiet_option
@pii_options("mask")
@terraform_options
@events_argument
def compare_cmd(settings_path, subscriptions_path, mode, source_modes, report_dir, fail_under, fail_under_exact,
                max_skipped, dedupe, classic_options, calibration_path, export_path,
                no_recommend, runtime_build, workers, dask_address, strict, quiet, pii_mode, pii_keys, pii_salt, events, destination_id=None,
                existing_path=None, terraform_layout=None):
    """Replay your events through Classic and Actions, diff what Amplitude would store, and report.

    Compares Classic with the untouched Actions presets, with the translated subscriptions (or yours, given
    with --subscriptions) and with the translated subscriptions plus the recommended changes, each verified
    by re-running the events. Each event goes through the Classic connection mode of its source (--mode
    auto). The verdict is chart parity: the share of events that land in Amplitude with the same numbers.
    EVENTS are JSON Lines, JSON array or Segment batch files, gzipped or not; `-` reads standard input.
    Only Segment events count (an object with a known `type`); other lines are skipped with their reason,
    and more than --max-skipped of them stops the run. Exit codes: 0 ok, 1 a gate failed (--fail-under,
    --fail-under-exact), 2 usage or input errors (nothing is reported).

    The reports and this summary pseudonymise personal data (ids, e-mail, phone, names, address, IP,
    latitude/longitude, and every --pii-key) so they can be shared; --pii keep shows it in clear.

    \b
    Example:
        amplitude-migrate compare --settings examples/classic-settings.json --fail-under 95% examples/events.jsonl
    """
    from actions.user_agent import runtime_build as model_build
    from migrate.compare import compare
    from migrate.pii import protect_report

    options = dict(classic_options)
    overrides = _parse_source_modes(source_modes)
    policy = pii_policy(pii_mode, pii_keys, pii_salt)
    if report_dir:
        _check_report_dir(report_dir)  # fail before a long run, not after it (and create nothing yet)
    known_secrets = settings_secrets(settings_path)
    settings_doc = load_settings_file(settings_path, "classic settings")
    subs_doc = load_subscriptions_doc(subscriptions_path) if subscriptions_path else None
    if subs_doc is not None:
        _lint(subs_doc, subscriptions_path)
    calibration = _load_calibration(calibration_path) if calibration_path else None
    with model_build(runtime_build), replay_executor(workers, dask_address, quiet=quiet) as executor:
        model = compare(
            settings_doc, list(events), settings_file=settings_path, subscriptions=subs_doc,
            subscriptions_file=subscriptions_path, mode=mode, source_modes=overrides, classic_options=options,
            calibration=calibration, calibration_file=calibration_path, amplitude_export=export_path,
            recommend=not no_recommend, strict=strict, progress=PassProgress(enabled=not quiet),
            on_skip=lambda skip: None, dedupe=dedupe, max_skipped=max_skipped, executor=executor,
        )
    model["inputs"]["runtime_build"] = runtime_build
    # one boundary: everything printed or written for people below comes from the protected model
    model = protect_report(model, policy)
    secrets = list(known_secrets) + ([pii_salt] if pii_salt else [])
    _note_duplicates(model)
    side = model["inputs"].get("classic_side") or {}
    if side.get("export") is not None and not side["export"]["events_from_export"]:
        click.echo(f"warning: no event joins a row of {export_path}: the classic side is emulated throughout "
                   "(is the export from the same period and project? see `amplitude-migrate calibrate`)", err=True)
    if side.get("export") and side["export"].get("skipped_rows"):
        first = (side["export"].get("skipped_examples") or ["?"])[0]
        click.echo(f"warning: {side['export']['skipped_rows']} export rows or files skipped (first: {first})", err=True)
    if side.get("export") and side["export"].get("truncated"):
        click.echo(f"warning: only the first {side['export']['rows']} rows of {export_path} were read: compare a "
                   "shorter period", err=True)
    for warning in (model["inputs"].get("settings_warnings") or []) + (model["inputs"].get("routing_warnings") or []):
        click.echo(f"warning: {warning}", err=True)
    if model["inputs"]["skipped"]:
        reasons = model["inputs"].get("skipped_by_reason") or {}
        by = "; ".join(f"{n} x {k}" for k, n in sorted(reasons.items(), key=lambda kv: -kv[1]))
        click.echo(f"skipped {model['inputs']['skipped']} input lines that are not usable Segment events"
                   f"{f' ({by})' if by else ''}; first: {_first_skip(model)}", err=True)
    if not model["inputs"]["events"]:
        click.echo(f"warning: no events were read from {', '.join(model['inputs']['events_files'])}: "
                   "nothing was compared, parity is not measured", err=True)
    terminal = None
    if report_dir:
        written, terminal = _write_report(model, report_dir, secrets)
        click.echo("report: " + ", ".join(str(p) for p in written), err=True)
    if model["subscriptions"].get("recommended") is None:  # --no-recommend: nothing recommended to write
        if terraform_layout:
            click.echo("--no-recommend: no recommended subscriptions, so nothing is written as Terraform", err=True)
    elif report_dir or terraform_layout:  # the recommended set as Terraform, beside the JSON and/or in Git sync
        tf_path = str(Path(report_dir) / "recommended-subscriptions.tf") if report_dir else None
        if existing_path is None and subscriptions_path:
            from migrate.terraform import is_terraform_path

            existing_path = subscriptions_path if is_terraform_path(subscriptions_path) else None
        for line in _write_terraform(model["subscriptions"]["recommended"], tf_path, destination_id,
                                     existing_path, terraform_layout, "recommended by compare",
                                     single=tf_path is not None):
            click.echo(line, err=True)
        if tf_path:
            click.echo(f"terraform: {tf_path}", err=True)
    click.echo(terminal if terminal is not None else _terminal(model, secrets))
    _gates(model, fail_under, fail_under_exact)


def _gates(model: dict, fail_under, fail_under_exact) -> None:
    """Check --fail-under (chart parity) and --fail-under-exact (exact parity) of the deployed configuration."""
    from migrate.gate import deployed_variant, gate

    variant = deployed_variant(model)
    failed = False
    for threshold, exact in ((fail_under, False), (fail_under_exact, True)):
        if threshold is None:
            continue
        result = gate(model, variant, threshold, exact=exact)
        if result.value is None:
            # an empty export must not pass a CI gate: no events is an input error, not 100% parity
            raise InputError(f"no events to compare, so {result.option} cannot be checked: check the EVENTS files")
        click.echo(result.line(), err=True)
        failed = failed or not result.passed
    if failed:
        raise GateFailed("")  # the gate lines above say which gate and by how much


def _lint(subs_doc, path) -> None:
    """Warn about triggers the runtime accepts but that are almost certainly mistakes."""
    import actions
    from actions.lint import lint_subscriptions

    for warning in lint_subscriptions(actions.load_subscriptions(subs_doc, source=path)):
        click.echo(f"warning: {path}: {warning}", err=True)


def _note_duplicates(model: dict) -> None:
    from migrate.gate import duplicates_note

    dup = model["inputs"].get("duplicates") or {}
    note = duplicates_note(dup.get("count", 0), dup.get("dropped", False),
                           model["subscriptions"].get("recommended") or model["subscriptions"].get("translated"))
    if note:
        dup["note"] = note
        examples = ", ".join(repr(e["messageId"]) for e in dup.get("examples", [])[:3])
        click.echo(f"duplicates: {note} Examples: {examples}", err=True)


def _load_calibration(path: str) -> dict:
    from migrate.calibration import load_calibration

    return load_calibration(path)


def _first_skip(model) -> str:
    s = model["inputs"]["skipped_examples"][0]
    where = f"{s['file']}:{s['line']}" if s["line"] else s["file"]
    return f"{where}: {s['reason']}"


def _terminal(model: dict, secrets) -> str:
    try:
        from reports import render_terminal
    except ImportError:
        return _summary(model)
    return render_terminal(model, secrets=secrets)


def _check_report_dir(report_dir: str) -> None:
    out = Path(report_dir)
    if out.exists():
        if not out.is_dir():
            raise InputError(f"{report_dir}: cannot create the report directory: it is a file")
        if not os.access(out, os.W_OK):
            raise InputError(f"{report_dir}: the report directory is not writable")
        return
    parent = next((p for p in out.absolute().parents if p.exists()), None)
    if parent is None or not parent.is_dir() or not os.access(parent, os.W_OK):
        raise InputError(f"{report_dir}: cannot create the report directory: {parent or '/'} is not writable")


def _report_dir(report_dir: str) -> Path:
    out = Path(report_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"{report_dir}: cannot create the report directory: {exc.strerror or exc}") from None
    if not os.access(out, os.W_OK):
        raise InputError(f"{report_dir}: the report directory is not writable")
    return out


def _write_report(model: dict, report_dir: str, secrets) -> tuple[list[Path], str | None]:
    """The files written, and the terminal summary from the same masked copy of the model (None without the
    reports package)."""
    out = _report_dir(report_dir)
    try:
        from reports import render_all_and_terminal
    except ImportError:
        render_all_and_terminal = None
    terminal = None
    try:
        if render_all_and_terminal is not None:
            files, terminal = render_all_and_terminal(model, out, secrets=secrets)
            written = list(files.values())
        else:
            path = out / "report.json"
            path.write_text(json_text(model, indent=2) + "\n", encoding="utf-8")
            written = [path]
        for path, subs in _subscription_files(model):
            target = out / path
            target.write_text(json_text(subs, indent=2, width=SUBSCRIPTIONS_WIDTH) + "\n", encoding="utf-8")
            written.append(target)
    except OSError as exc:
        where = exc.filename or report_dir
        raise InputError(f"{where}: cannot write the report: {exc.strerror or exc}") from None
    return written, terminal


def _subscription_files(model: dict) -> list[tuple[str, list]]:
    """recommended-subscriptions.json (the mode with the most events) and, when the events came through
    several modes, recommended-subscriptions-MODE.json for each: every source has its own destination
    instance in Segment. Nothing with --no-recommend."""
    if not model["inputs"].get("recommend", True) or model["subscriptions"].get("recommended") is None:
        return []
    files = [("recommended-subscriptions.json", model["subscriptions"]["recommended"])]
    modes = model.get("modes") or {}
    if len(modes) > 1:
        files += [(f"recommended-subscriptions-{m}.json", entry["subscriptions"]["recommended"])
                  for m, entry in modes.items()]
    return files
