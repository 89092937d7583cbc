"""The per-event part of the replay pipeline (`migrate.replay`): run one Segment event through Classic and
through one or more sets of Actions subscriptions, side by side, and turn what each sends into canonical
Amplitude records; route each event to its Classic connection mode.

Segment routes an event to a destination only when its `integrations` object allows it: Classic listens to
the key "Amplitude", Actions to "Actions Amplitude" (`All` is the fallback for both). The runner applies
that routing before calling either side, so a flag that stops one of them shows up as missing records.

`Router` picks the Classic connection mode of each event from its library (`context.library.name`): Classic
ran each source in its own mode, so a server library goes through cloud mode, analytics.js through web, the
mobile libraries through iOS or Android (`LIBRARY_MODES`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

__all__ = ["Runner", "StepRunner", "same_outputs", "shared_subscriptions", "EventRun", "VariantRun", "reaches", "CLASSIC_KEY", "ACTIONS_KEY", "EVENT_ACTIONS", "Router",
           "LIBRARY_MODES", "ROUTE_MODES", "library_name", "native_mode"]

CLASSIC_KEY = "Amplitude"
ACTIONS_KEY = "Actions Amplitude"
# Actions that send Amplitude events: two of them firing for one Segment event means duplicates.
EVENT_ACTIONS = frozenset({"logEvent", "logEventV2", "logPurchase"})


def reaches(event: dict, key: str) -> bool:
    """Whether Segment delivers `event` to the destination named `key` (its integrations object)."""
    flags = event.get("integrations")
    if not isinstance(flags, dict):
        return True
    if key in flags:
        value = flags[key]
        return isinstance(value, dict) or bool(value)
    value = flags.get("All", True)
    return isinstance(value, dict) or bool(value)


@dataclass
class VariantRun:
    records: list[dict] = field(default_factory=list)
    fired: list[dict] = field(default_factory=list)  # {"subscription", "action", "error"} per fired subscription
    errors: list[str] = field(default_factory=list)
    reached: bool = True


@dataclass
class EventRun:
    classic_records: list[dict]
    classic_reached: bool
    classic_error: str | None
    variants: dict[str, VariantRun]
    # variants whose records and errors are identical to the variant listed before them (StepRunner): their
    # diff against Classic is the previous one's
    repeats: frozenset = frozenset()
    _comparable: tuple | None = field(default=None, repr=False, compare=False)

    def classic_comparable(self) -> list:
        """The classic side in the differ's comparable form (`differ.comparable_records`), worked out once per
        event: every variant is diffed against it."""
        cached = self._comparable
        if cached is None or cached[0] is not self.classic_records:
            from migrate.differ import comparable_records

            cached = self._comparable = (self.classic_records, comparable_records(self.classic_records))
        return cached[1]


# What an earlier pass worked out for one event that a later pass of the same events can take instead of running it
# again (`migrate.replay`'s kept first pass): Classic's (records, reached, error) and, or None, the output of each
# subscription of the runner's base set (`StepRunner`'s first variant), position by position, as pieces
# (`_piece`: (fired entry, records, error line)), None where the trigger did not match or a `_Raised`; the list
# may stop early (after a trigger that raised, the later subscriptions did not run).
Seed = tuple


def _piece(item: dict, records_from_requests) -> tuple[dict, list[dict], str | None]:
    """What one fired subscription adds to a VariantRun: its `fired` entry, its records, its error line."""
    error = item.get("error")
    records = list(records_from_requests(item.get("requests") or [])) if item.get("requests") else []
    entry = {
        "subscription": item.get("subscription"), "action": item.get("action"), "error": error,
        "event_types": [r.get("event_type") for r in records if r.get("kind", "event") == "event"],
    }
    message = None
    if error:
        text = error.get("message") if isinstance(error, dict) else str(error)
        message = f"{item.get('subscription')}: {text}"
    return entry, records, message


def _add(run: VariantRun, piece: tuple[dict, list[dict], str | None]) -> None:
    entry, records, message = piece
    run.fired.append(entry)
    if message:
        run.errors.append(message)
    run.records.extend(records)


class Runner:
    """Holds the classic emulator and one Actions engine per variant; `run(event)` feeds them all.
    `repeats`: name in `EventRun.repeats` the variants whose records and errors are identical to the previous
    variant's (as `StepRunner` does), so a caller can reuse that variant's diff."""

    def __init__(self, emulator, engines: dict, records_from_requests: Callable[[list], list], *,
                 repeats: bool = False, keep: str | None = None):
        self.emulator = emulator
        self.engines = engines
        self.records_from_requests = records_from_requests
        self.repeats = repeats
        # `keep`: the variant whose output per subscription `kept_pieces` holds after each `run` (`Seed`)
        self.keep = keep
        self.kept_pieces = None
        self._kept_count = len(engines[keep].subscriptions()) if keep is not None else 0

    def classic(self, event: dict) -> tuple[list[dict], bool, str | None]:
        if not reaches(event, CLASSIC_KEY):
            return [], False, None
        try:
            out = self.emulator.send(event)
            records = out.get("records")
            if records is None:
                records = self.records_from_requests(out.get("requests") or [])
            return list(records), True, None
        except Exception as exc:  # one odd event must not stop a long run: it is counted and shown instead
            return [], True, f"{type(exc).__name__}: {exc}"

    def actions(self, engine, event: dict) -> VariantRun:
        run = VariantRun()
        if not reaches(event, ACTIONS_KEY):
            run.reached = False
            return run
        try:
            fired = engine.send(event)
        except Exception as exc:  # same reason as for classic
            run.errors.append(f"{type(exc).__name__}: {exc}")
            return run
        for item in fired:
            _add(run, _piece(item, self.records_from_requests))
        return run

    def _kept_actions(self, engine, event: dict) -> VariantRun:
        """`actions`, keeping the output of each of the engine's subscriptions in `kept_pieces` (None: the
        event did not reach Actions or a trigger raised, so nothing is kept)."""
        self.kept_pieces = None
        if not reaches(event, ACTIONS_KEY):
            return VariantRun(reached=False)
        run = VariantRun()
        try:
            fired = engine.send_indexed(event)
        except Exception as exc:  # same reason as for classic
            run.errors.append(f"{type(exc).__name__}: {exc}")
            return run
        pieces = [None] * self._kept_count
        for index, item in fired:
            piece = pieces[index] = _piece(item, self.records_from_requests)
            _add(run, piece)
        self.kept_pieces = pieces
        return run

    def run(self, event: dict, seed: Seed | None = None) -> EventRun:
        """Classic and every engine on `event`; `seed`: Classic's output on it, worked out before."""
        records, reached, error = self.classic(event) if seed is None else seed[:3]
        keep = self.keep
        variants = {name: self._kept_actions(engine, event) if name == keep else self.actions(engine, event)
                    for name, engine in self.engines.items()}
        if not self.repeats:
            return EventRun(records, reached, error, variants)
        repeats = []
        previous = None
        for name, run in variants.items():
            if previous is not None and run.errors == previous.errors and _identical(run.records, previous.records):
                repeats.append(name)
            previous = run
        return EventRun(records, reached, error, variants, frozenset(repeats))


class _Raised:
    """A trigger that raised on the event: a whole engine stops there and reports only this error."""
    __slots__ = ("message",)

    def __init__(self, exc: BaseException):
        self.message = f"{type(exc).__name__}: {exc}"


def _identical(a, b) -> bool:
    """Equal as JSON text would be: same types, same key order (what ends up in a report's examples)."""
    if a is b:
        return True
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(_identical(v, b[k]) for k, v in a.items())
    if isinstance(a, list):
        return len(a) == len(b) and all(_identical(x, y) for x, y in zip(a, b))
    return a == b


def _same_value(a, b) -> bool:
    """`_identical`, with floats compared by their text (0.0 and -0.0 differ, NaN equals NaN): two mapped
    values that pass are sent as the same text."""
    if a is b:
        return True
    cls = type(a)
    if cls is not type(b):
        return False
    if cls is dict:
        return list(a) == list(b) and all(_same_value(v, b[k]) for k, v in a.items())
    if cls is list:
        return len(a) == len(b) and all(_same_value(x, y) for x, y in zip(a, b))
    if cls is float:
        return repr(a) == repr(b)
    return cls in (str, int, bool) and a == b


def _renamed(piece: tuple, name) -> tuple:
    """The piece `_piece` builds for the same fired item under another subscription name."""
    entry, records, message = piece
    if entry.get("subscription") == name:
        return piece
    error = entry.get("error")
    if error:
        text = error.get("message") if isinstance(error, dict) else str(error)
        message = f"{name}: {text}"
    return {**entry, "subscription": name}, records, message


def _key_plan(before: dict, after: dict):
    """How to tell, per event, that subscription `after` sends exactly what `before` sends: the top-level
    mapping keys whose expressions differ, as (key, expression before, expression after), `_MISSING` for a
    key one side does not have. None when no such plan exists: another action, a root directive, keys in
    another order.

    A mapping resolves each top-level key on its own from the event, so two mappings with the same keys in
    the same order, the same expressions wherever they differ in nothing, and the same resolved value under
    every key that changed give the same mapped object; the same action then validates it and builds the
    same requests from it (the engine's settings are shared)."""
    from actions.mapping_kit.validate import _mapping_to_process
    from actions.mapping_kit.values import ROOT_DIRECTIVE_KEY

    action = before.get("partnerAction")
    if not isinstance(action, str) or action != after.get("partnerAction"):
        return None
    old, new = before.get("mapping") or {}, after.get("mapping") or {}
    if not isinstance(old, dict) or not isinstance(new, dict):
        return None
    try:
        old, new = _mapping_to_process(old), _mapping_to_process(new)
    except Exception:  # noqa: BLE001 - such a mapping is left to the engine
        return None
    if not isinstance(old, dict) or not isinstance(new, dict) or ROOT_DIRECTIVE_KEY in old \
            or ROOT_DIRECTIVE_KEY in new:
        return None
    if [k for k in old if k in new] != [k for k in new if k in old]:
        return None
    changed = []
    for key in list(old) + [k for k in new if k not in old]:
        a, b = old.get(key, _MISSING), new.get(key, _MISSING)
        if a is _MISSING or b is _MISSING or repr(a) != repr(b):
            changed.append((key, a, b))
    return changed


def _subscription_key(sub: dict) -> str:
    """Equal keys: subscriptions that behave the same (key order kept: it can order a record's keys)."""
    import json

    return json.dumps(sub, default=repr)


class StepRunner:
    """Runs each event through Classic and several variants of one subscription list (a recommendation's
    cumulative steps), running every distinct subscription once per event instead of every variant in full.

    `variants` maps a name to a subscription list, in step order; `make_engine(subs)` builds an Actions
    engine (`actions.Engine`). The variants' distinct subscriptions (equal as JSON) go into one engine; per
    event, each distinct trigger is evaluated once, a subscription runs only when its trigger matches and only
    the first time a variant needs it, and each variant's VariantRun is put together from those outputs in its
    own subscription order: what a full engine with that variant's subscriptions gives (records, fired list,
    errors, and a trigger that raises stopping the variant with that one error). A step that changed a
    subscription whose trigger matches the event neither before nor after the change costs nothing but the
    trigger test; one whose changed mapping keys resolve on the event to what they resolved to before costs
    only those keys (`_plan_reuse`): it sends what the subscription it came from sent.

    `run(event).repeats` names the variants whose records and errors are identical to the previous variant's,
    so a caller can reuse that variant's diff. All state is per event; the engine is built on first use.
    """

    def __init__(self, emulator, variants: dict[str, list[dict]], make_engine: Callable[[list[dict]], object],
                 records_from_requests: Callable[[list], list], *, track: str | None = None,
                 keep: str | None = None):
        self.classic_runner = Runner(emulator, {}, records_from_requests)
        self.records_from_requests = records_from_requests
        self.names = list(variants)
        distinct, _, self.orders = _distinct(variants)
        # per variant after the first, when it holds as many subscriptions as the one before: the positions
        # where the two hold different ones (a recommendation step changes one or two)
        self.deltas = [None] + [
            [q for q, (i, j) in enumerate(zip(before, order)) if i != j] if len(before) == len(order) else None
            for before, order in zip(self.orders, self.orders[1:])]
        # `keep`: the variant whose output per subscription `kept_pieces` holds after each `run` (`Seed`)
        self.keep_order = self.orders[self.names.index(keep)] if keep is not None else None
        self.kept_pieces = None
        self.subscriptions = distinct
        # `track`: a variant whose every subscription is compared, event by event, with the other versions of
        # it (same name) the variants hold (`same_outputs`); `differed` collects (position in `track`'s
        # order, version) for those seen to send something else, `live` the pairs not seen to differ yet
        self.differed: set[tuple[int, int]] = set()
        self.live: list[tuple[int, int, int]] = []
        self.tracking = track is not None
        if track is not None:
            order = self.orders[self.names.index(track)]
            self.live = [(p, i, j) for p, i in enumerate(order) for j, sub in enumerate(distinct)
                         if j != i and sub.get("name") == distinct[i].get("name")]
        self.make_engine = make_engine
        self.engine = None
        # subscriptions with the same trigger text share one trigger test per event
        first: dict[str, int] = {}
        self.trigger_of = [first.setdefault(str(sub.get("subscribe")), i) for i, sub in enumerate(distinct)]
        self._plan_reuse()
        self.stats = {"events": 0, "fired": 0, "triggers": 0, "variants": 0, "repeats": 0, "reused": 0}

    def _plan_reuse(self) -> None:
        """For a subscription a step changed (`origins`): the one it came from (same name and action, in the
        nearest earlier variant) and the top-level mapping keys that differ, each as a pair of functions
        resolving that key alone (`key_fns`, shared by equal key expressions). Per event, when both fire and
        every changed key resolves to the same value, the changed subscription sends what its origin sent:
        its piece is reused, without running its mapping, its action or the records. A key's function is
        compiled when an event first needs it (`_key_value`): in a run where the first key tried always
        differs, the others never compile."""
        self.origins: dict[int, tuple[int, list]] = {}
        self.key_fns: list = []
        fn_ids: dict[str, int] = {}

        def key_fn(key, expr) -> int | None:
            if expr is _MISSING:
                return None  # resolves to nothing
            text = repr({key: expr})
            index = fn_ids.get(text)
            if index is None:
                index = fn_ids[text] = len(self.key_fns)
                self.key_fns.append(_Uncompiled({key: expr}))
            return index

        seen: set[int] = set()
        previous: tuple[int, ...] = ()
        for order in self.orders:
            by_name: dict[tuple, int] = {}
            for i in previous:
                sub = self.subscriptions[i]
                by_name.setdefault((sub.get("name"), sub.get("partnerAction")), i)
            for j in order:
                if j in seen:
                    continue
                seen.add(j)
                sub = self.subscriptions[j]
                i = by_name.get((sub.get("name"), sub.get("partnerAction")))
                if i is None or i == j:
                    continue
                plan = _key_plan(self.subscriptions[i], sub)
                if plan is None:
                    continue
                self.origins[j] = (i, [(key_fn(k, a), key_fn(k, b)) for k, a, b in plan])
            previous = order

    def _reusable(self, pairs: list, values: dict, event: dict) -> bool:
        """Whether every changed key resolves to the same value before and after (`values`: per event).

        The answer needs every pair to agree, so the order they are tried in is free: a pair that disagreed
        moves to the front, and on the next event the key that usually differs (an `insert_id` one side
        leaves null, say) is resolved first and alone."""
        fns = self.key_fns
        for position, (a, b) in enumerate(pairs):
            got = []
            for index in (a, b):
                if index is None:
                    got.append({})
                    continue
                value = values.get(index, _MISSING)
                if value is _MISSING:
                    fn = fns[index]
                    if type(fn) is _Uncompiled:
                        fn = fns[index] = fn.compile()
                    try:
                        value = fn(event)
                    except Exception:  # noqa: BLE001 - the engine reports it
                        value = _FAILED
                    values[index] = value
                if value is _FAILED:
                    break
                got.append(value)
            if len(got) < 2 or not _same_value(got[0], got[1]):
                if position:
                    pairs.insert(0, pairs.pop(position))
                return False
        return True

    def run(self, event: dict, seed: Seed | None = None) -> EventRun:
        """Classic and every variant on `event`. `seed`: what an earlier pass worked out on it (`Seed`): Classic's
        output, and the first variant's subscriptions' outputs, which are then taken instead of run."""
        if self.engine is None:
            self.engine = self.make_engine(self.subscriptions)
        if seed is None:
            records, reached, error = self.classic_runner.classic(event)
            return EventRun(records, reached, error, *self.variants(event))
        return EventRun(seed[0], seed[1], seed[2], *self.variants(event, seed[3]))

    def variants(self, event: dict, seeded: list | None = None) -> tuple[dict[str, VariantRun], frozenset]:
        """The VariantRun of every variant on `event`, and the names of those that repeat the previous one.
        `seeded`: the first variant's subscriptions' outputs on `event`, position by position (`Seed`)."""
        stats = self.stats
        stats["events"] += 1
        stats["variants"] += len(self.names)
        self.kept_pieces = None
        if not reaches(event, ACTIONS_KEY):
            return ({name: VariantRun(reached=False) for name in self.names},
                    frozenset(self.names[1:]))
        engine = self.engine
        trigger_of = self.trigger_of
        matched: dict[int, object] = {}
        pieces: dict[int, object] = {}
        if seeded:
            # an output known for a subscription is its trigger's answer too (a piece: matched; None: not)
            for index, piece in zip(self.orders[0], seeded):
                pieces[index] = piece
                matched[trigger_of[index]] = True if type(piece) is tuple else False if piece is None else piece
        origins = self.origins
        values: dict[int, object] = {}  # key function -> its value on this event

        def compute(index: int):
            """Subscription `index`'s piece on this event (`pieces` holds it from then on)."""
            rep = trigger_of[index]
            hit = matched.get(rep, _MISSING)
            if hit is _MISSING:
                stats["triggers"] += 1
                try:
                    hit = engine.matches(rep, event)
                except Exception as exc:  # a whole engine fails here: Runner.actions says how
                    hit = _Raised(exc)
                matched[rep] = hit
            if hit is True:
                origin = origins.get(index)
                piece = _MISSING
                if origin is not None:
                    before = pieces.get(origin[0])
                    if type(before) is tuple and self._reusable(origin[1], values, event):
                        stats["reused"] += 1
                        piece = _renamed(before, self.subscriptions[index].get("name"))
                if piece is _MISSING:
                    stats["fired"] += 1
                    piece = _piece(engine.fire(index, event), self.records_from_requests)
            elif hit is False:
                piece = None
            else:
                piece = hit
            pieces[index] = piece
            return piece

        out: dict[str, VariantRun] = {}
        repeats = []
        previous = None  # (pieces used, VariantRun, order, whether it stopped at a raise) of the previous variant
        for name, order, delta in zip(self.names, self.orders, self.deltas):
            if delta is not None and previous is not None and not previous[3]:
                # the positions where this variant holds another subscription than the previous one: when each
                # gives the very piece the previous one's gave there, the two variants' outputs are one
                before = previous[2]
                for q in delta:
                    piece = pieces.get(order[q], _MISSING)
                    if piece is _MISSING:
                        piece = compute(order[q])
                    if piece is not pieces[before[q]]:
                        break
                else:
                    repeats.append(name)
                    stats["repeats"] += 1
                    out[name] = previous[1]
                    previous = (previous[0], previous[1], order, False)
                    continue
            used = []
            run = VariantRun()
            raised = False
            for index in order:
                piece = pieces.get(index, _MISSING)
                if piece is _MISSING:
                    piece = compute(index)
                if piece is None:
                    continue
                used.append(piece)
                if isinstance(piece, _Raised):
                    run = VariantRun(errors=[piece.message])
                    raised = True
                    break
                _add(run, piece)
            if previous is not None and (
                    (len(used) == len(previous[0]) and all(a is b for a, b in zip(used, previous[0])))
                    or (run.errors == previous[1].errors and _identical(run.records, previous[1].records))):
                repeats.append(name)
                stats["repeats"] += 1
            out[name] = run
            previous = (used, run, order, raised)
        if self.live:
            self._compare_versions(pieces)
        if self.keep_order is not None:
            kept = []
            for index in self.keep_order:
                piece = pieces.get(index, _MISSING)
                if piece is _MISSING:
                    break  # not run: a trigger before it raised
                kept.append(piece)
            self.kept_pieces = kept
        return out, frozenset(repeats)

    def _compare_versions(self, pieces: dict) -> None:
        """Mark the tracked versions whose output on this event is not the tracked variant's (a version
        that did not run here, because every variant holding it stopped at a trigger that raised, counts
        as different)."""
        live = self.live
        gone = None
        for pair in live:
            _, i, j = pair
            a, b = pieces.get(i, _MISSING), pieces.get(j, _MISSING)
            if a is b and a is not _MISSING:
                continue
            if not _same_piece(a, b):
                self.differed.add((pair[0], j))
                gone = (gone or set()) | {pair}
        if gone:
            self.live = [pair for pair in live if pair not in gone]

    def take_differed(self) -> set | None:
        """The (position, version) pairs seen to differ since the last call (a chunk's share); None when this
        runner tracks no variant."""
        found, self.differed = self.differed, set()
        return found if self.tracking else None


_MISSING = object()
_FAILED = object()


class _Uncompiled:
    """A one-key mapping not compiled yet (`StepRunner._plan_reuse`)."""
    __slots__ = ("mapping",)

    def __init__(self, mapping: dict):
        self.mapping = mapping

    def compile(self):
        """The compiled function; one that always fails when the key does not compile alone (no reuse: the
        subscription runs in full, and the engine reports what is wrong with it)."""
        from actions.mapping_kit import compile_mapping

        try:
            return compile_mapping(self.mapping)
        except Exception as exc:  # noqa: BLE001
            error = exc

            def failed(event):
                raise error

            return failed


def _same_piece(a, b) -> bool:
    """Two subscriptions' outputs on one event are the same: both did not fire, both raised the same trigger
    error, or both sent identical records with identical fired entries and error lines."""
    if a is b:
        return a is not _MISSING
    if type(a) is tuple and type(b) is tuple:
        return _identical(a[0], b[0]) and _identical(a[1], b[1]) and a[2] == b[2]
    if isinstance(a, _Raised) and isinstance(b, _Raised):
        return a.message == b.message
    return False


def _distinct(variants: dict[str, list[dict]]) -> tuple[list[dict], dict[str, int], list[tuple[int, ...]]]:
    """The distinct enabled subscriptions of `variants` (equal as JSON), their keys, and each variant's
    subscriptions as indices into them, in order."""
    keys: dict[str, int] = {}
    distinct: list[dict] = []
    orders: list[tuple[int, ...]] = []
    for subs in variants.values():
        order = []
        for sub in subs:
            if sub.get("enabled", True) is False:
                continue  # an engine leaves disabled subscriptions out
            key = _subscription_key(sub)
            if key not in keys:
                keys[key] = len(distinct)
                distinct.append(sub)
            order.append(keys[key])
        orders.append(tuple(order))
    return distinct, keys, orders


def shared_subscriptions(variants: dict[str, list[dict]]) -> int:
    """How many enabled subscriptions (equal as JSON) more than one of `variants` holds."""
    distinct, _, orders = _distinct(variants)
    holders = [0] * len(distinct)
    for order in orders:
        for index in set(order):
            holders[index] += 1
    return sum(n > 1 for n in holders)


def same_outputs(variants: dict[str, list[dict]], track: str, differed: set, candidate: list[dict]) -> bool:
    """Whether the subscription list `candidate` is shown to send, on every event a `StepRunner(variants,
    track=track)` ran, exactly what the variant `track` sent there (records, errors, fired list): its enabled
    subscriptions are, position by position, either `track`'s own or another version of it held by
    `variants` that no event showed to send anything else (`differed`: the runners' `take_differed`, over
    every event). A full engine's output is its subscriptions' outputs in order, so the two lists' outputs are
    then the same on every one of those events. False whenever that is not shown (a version no variant holds,
    another length or order)."""
    distinct, keys, orders = _distinct(variants)
    order = orders[list(variants).index(track)]
    mine = [keys.get(_subscription_key(sub)) for sub in candidate if sub.get("enabled", True) is not False]
    if len(mine) != len(order):
        return False
    for position, (i, j) in enumerate(zip(order, mine)):
        if i == j:
            continue
        if j is None or distinct[j].get("name") != distinct[i].get("name") or (position, j) in differed:
            return False
    return True


# ------------------------------------------------------------------------------------------------ routing

# context.library.name -> the connection mode Classic ran that source in by default (compared lower-cased).
SERVER_LIBRARIES = ("analytics-python", "analytics-node", "analytics-ruby", "analytics-go", "analytics-java",
                    "analytics-php", "analytics.net", ".net", "analytics-dotnet", "analytics-csharp", "http api",
                    "http", "analytics-node-next", "@segment/analytics-node")
LIBRARY_MODES: dict[str, str] = {
    **{name: "cloud" for name in SERVER_LIBRARIES},
    "analytics.js": "web", "analytics-next": "web", "@segment/analytics-next": "web",
    "analytics-ios": "ios", "analytics-swift": "ios",
    "analytics-android": "android", "analytics-kotlin": "android",
}
ROUTE_MODES = ("auto", "cloud", "web", "ios", "android")
NO_LIBRARY = "(no library)"


def library_name(event: dict) -> str:
    """`context.library.name` of an event, or "(no library)"."""
    ctx = event.get("context")
    lib = ctx.get("library") if isinstance(ctx, dict) else None
    name = lib.get("name") if isinstance(lib, dict) else None
    return name if isinstance(name, str) and name else NO_LIBRARY


def native_mode(library: str) -> str | None:
    """The mode Classic ran a library's events in by default; None for a library this table does not know."""
    return LIBRARY_MODES.get(library.strip().lower())


class Router:
    """Picks the Classic connection mode of each event.

    `mode` "auto": by library (`LIBRARY_MODES`), unknown libraries through cloud with a warning; a fixed mode
    applies to every event, and forcing a device mode on a library that cannot run it is counted and warned
    about. `overrides` (library name -> mode, case-insensitive) win over both.
    """

    def __init__(self, mode: str = "auto", overrides: dict[str, str] | None = None):
        if mode not in ROUTE_MODES:
            raise ValueError(f"mode must be one of {', '.join(ROUTE_MODES)}, got {mode!r}")
        self.mode = mode
        self.overrides = {k.strip().lower(): v for k, v in (overrides or {}).items()}
        self.unknown: dict[str, int] = {}  # library -> events sent through cloud for want of a rule
        self.forced: dict[tuple[str, str], int] = {}  # (library, forced device mode) -> events

    def route(self, event: dict) -> tuple[str, str]:
        """(library name, mode) for one event."""
        library = library_name(event)
        key = library.strip().lower()
        if key in self.overrides:
            return library, self.overrides[key]
        native = LIBRARY_MODES.get(key)
        if self.mode == "auto":
            if native is None:
                if len(self.unknown) < 50 or library in self.unknown:
                    self.unknown[library] = self.unknown.get(library, 0) + 1
                return library, "cloud"
            return library, native
        if self.mode != "cloud" and native != self.mode:
            slot = (library, self.mode)
            if len(self.forced) < 50 or slot in self.forced:
                self.forced[slot] = self.forced.get(slot, 0) + 1
        return library, self.mode

    def counts(self) -> tuple[dict, dict]:
        """What `warnings` is built from; a fresh Router per chunk, folded with `merge`."""
        return self.unknown, self.forced

    def merge(self, other: "Router") -> "Router":
        """Fold in the counts of the events that follow (a later chunk of the input)."""
        for table, theirs in ((self.unknown, other.unknown), (self.forced, other.forced)):
            for key, n in theirs.items():
                if len(table) < 50 or key in table:
                    table[key] = table.get(key, 0) + n
        return self

    def warnings(self) -> list[str]:
        out = []
        for library, n in sorted(self.unknown.items(), key=lambda kv: -kv[1]):
            out.append(f"{n} events from library {library!r}: no connection-mode rule for it, compared in cloud "
                       f"mode (set one with --source-mode '{library}=MODE')")
        for (library, mode), n in sorted(self.forced.items(), key=lambda kv: -kv[1]):
            out.append(f"{n} events from library {library!r} were compared in {mode} mode, which that library "
                       f"cannot run (Classic {mode} mode is the Amplitude SDK inside "
                       f"{ {'web': 'analytics.js', 'ios': 'an iOS app', 'android': 'an Android app'}[mode] })")
        return out
