"""Amplitude (Actions) in Python: what Segment's cloud runtime sends to Amplitude for each event.

    subs = load_subscriptions(obj, source="subs.json")   # runtime or Public API shape
    engine = Engine({"apiKey": "...", "secretKey": "...", "endpoint": "north_america"}, subs)
    for fired in engine.send(event):
        fired["subscription"], fired["action"], fired["requests"], fired["error"]

Per subscription and event, as the runtime does: the trigger (FQL) decides; the mapping is resolved against the
event; empty values are removed and the payload validated (with AJV's coercions); the action's perform builds
the request(s). Building requests never touches the network.
"""

from __future__ import annotations

import copy
from collections import OrderedDict
from typing import Callable, Iterable

from .destination import ACTIONS, PRESETS, SETTINGS, deletion_request, authentication_request
from .framework import ActionError, AggregateAjvError, HTTPError, compile_schema, merge_default_mapping
from .jsjson import UNDEFINED

__all__ = [
    "ConfigError",
    "Engine",
    "load_subscriptions",
    "preset_subscriptions",
    "run_action",
    "ACTIONS",
    "PRESETS",
    "SETTINGS",
    "ActionError",
    "AggregateAjvError",
    "HTTPError",
    "deletion_request",
    "authentication_request",
]


class ConfigError(ValueError):
    """A subscription list that cannot be used; the message names the file, the subscription and the fix."""


_SCHEMAS: dict = {}


def _schema(slug: str):
    schema = _SCHEMAS.get(slug)
    if schema is None:
        schema = _SCHEMAS[slug] = compile_schema(ACTIONS[slug].FIELDS)
    return schema


def _slug_for(value) -> str | None:
    """An action slug from a slug or an action title (case-insensitive)."""
    if not isinstance(value, str):
        return None
    if value in ACTIONS:
        return value
    wanted = value.strip().lower()
    for slug, module in ACTIONS.items():
        if module.TITLE.lower() == wanted or slug.lower() == wanted:
            return slug
    return None


def _valid_actions() -> str:
    return ", ".join(f"{slug} ({module.TITLE})" for slug, module in ACTIONS.items())


def _subscription_list(obj, source: str) -> list:
    if isinstance(obj, list):
        return obj
    if isinstance(obj, dict):
        for holder in (obj, obj.get("data") if isinstance(obj.get("data"), dict) else None):
            if holder is not None and isinstance(holder.get("subscriptions"), list):
                return holder["subscriptions"]
        if "partnerAction" in obj or "actionSlug" in obj or "subscribe" in obj or "trigger" in obj:
            return [obj]
    raise ConfigError(
        f"{source}: expected a list of subscriptions (or an object with a 'subscriptions' list), "
        f"got {type(obj).__name__}"
    )


def _compile_trigger(text: str):
    from .fql import compile_trigger

    return compile_trigger(text)


def _residual_trigger(text: str, event_type: str):
    from .fql import residual_trigger

    return residual_trigger(text, event_type)


def _trigger_types(text: str):
    from .fql import trigger_types

    return trigger_types(text)


def load_subscriptions(obj, source: str = "<subscriptions>") -> list[dict]:
    """Normalise subscriptions to {name, partnerAction, subscribe, mapping, enabled}; disabled ones are left out.

    Accepts the runtime shape (`name, partnerAction, subscribe, mapping`) and the Public API shape
    (`name, actionSlug` or an action name, `trigger, settings, enabled`). Raises ConfigError naming the source
    and the subscription for an unknown action, a missing or unparsable trigger, or an invalid mapping.
    """
    out = []
    for index, sub in enumerate(_subscription_list(obj, source), start=1):
        where = f"{source}: subscription #{index}"
        if not isinstance(sub, dict):
            raise ConfigError(f"{where}: expected an object, got {type(sub).__name__}")
        name = sub.get("name")
        if name is not None:
            where = f"{source}: subscription #{index} ({name!r})"
        else:
            name = f"subscription #{index}"
        enabled = sub.get("enabled", True)
        if enabled is False:
            continue
        raw_action = next(
            (sub[k] for k in ("partnerAction", "actionSlug", "action", "actionName", "actionId") if k in sub),
            None,
        )
        slug = _slug_for(raw_action)
        if slug is None:
            hint = ""
            if raw_action == "sessionId":
                hint = " ('sessionId' is the browser plugin's session action, which runs in the browser; remove it)"
            raise ConfigError(f"{where}: unknown action {raw_action!r}{hint}; valid actions: {_valid_actions()}")
        trigger = sub.get("subscribe", sub.get("trigger"))
        if not isinstance(trigger, str) or not trigger.strip():
            raise ConfigError(f"{where}: missing trigger (an FQL string such as 'type = \"track\"')")
        try:
            _compile_trigger(trigger)
        except ImportError:
            raise
        except Exception as exc:  # the FQL parser's error, reworded with the subscription
            raise ConfigError(f"{where}: trigger {trigger!r} does not parse: {exc}") from None
        mapping = sub.get("mapping", sub.get("settings", {}))
        if mapping is None:
            mapping = {}
        if not isinstance(mapping, dict):
            raise ConfigError(f"{where}: mapping must be an object, got {type(mapping).__name__}")
        try:
            from .mapping_kit import validate_mapping

            validate_mapping(mapping)
        except ImportError:
            raise
        except Exception as exc:
            raise ConfigError(f"{where}: invalid mapping: {exc}") from None
        out.append({"name": name, "partnerAction": slug, "subscribe": trigger, "mapping": mapping, "enabled": True})
    return out


def preset_subscriptions() -> list[dict]:
    """The destination's automatic presets (Track, Order Completed, Page, Screen, Identify Calls)."""
    return [{**copy.deepcopy(p), "enabled": True} for p in PRESETS]


def _error_dict(exc: BaseException) -> dict:
    if isinstance(exc, ActionError):
        return exc.as_dict()
    js_name = getattr(exc, "js_name", None)  # mapping errors: a plain Error in the runtime
    if js_name:
        return {"name": js_name, "message": str(exc), "status": None}
    # not an error the runtime has: say plainly that the engine itself failed on this event
    return {"name": "InternalError", "message": f"{type(exc).__name__}: {exc}", "status": None}


Responder = Callable[[dict], "int | tuple[int, str]"]


def _deliver(requests: list[dict], responder: Responder | None, sent: list[dict]) -> None:
    """Send in order as the action awaits them: a non-2xx answer raises HTTPError and stops the action."""
    for request in requests:
        sent.append(request)
        if responder is None:
            continue
        answer = responder(request)
        status, text = answer if isinstance(answer, tuple) else (answer, None)
        if not 200 <= int(status) < 300:
            raise HTTPError(int(status), text)


class _Compiled:
    __slots__ = ("index", "name", "slug", "trigger", "prepare", "run", "perform", "types", "mapping", "subscribe")


# -- compiled mappings, per process
#
# A subscription's `run` (mapping and payload preparation) depends only on its action (the payload schema)
# and its mapping, so every engine of this process shares one function per distinct (action, mapping):
# compare builds engines per pass, per mode and per recommendation step, mostly with the same
# subscriptions. The key is the mapping's `repr`, which keeps key order (the order of the output's keys)
# and types (1, 1.0 and True differ). The function holds no reference to the mapping and no state: it
# returns fresh containers on every call, so engines sharing it share nothing mutable.

_RUNS_SIZE = 512
_RUNS: "OrderedDict[tuple, Callable]" = OrderedDict()
compile_counts = {"compiled": 0, "hits": 0}  # mappings compiled / found compiled, in this process


def _chain(transform, prepare):
    return lambda event=UNDEFINED: prepare(transform(event))


def _compiled(key: tuple) -> Callable | None:
    """The function this process compiled for `key` ((action, mapping's repr)), counted as a hit; else None."""
    run = _RUNS.get(key)
    if run is not None:
        _RUNS.move_to_end(key)
        compile_counts["hits"] += 1
    return run


def _run_for(slug: str, mapping) -> Callable:
    """fn(event) = the action's payload preparation of the mapping's output, compiled once per process;
    raises the mapping's validation error (MappingError) for an invalid mapping, every time it is asked."""
    text = repr(mapping)
    key = (slug, text)
    run = _compiled(key)
    if run is not None:
        return run
    from .mapping_kit import compile_mapping
    from .mapping_kit.compile import compile_prepared

    schema = _schema(slug)
    # mapping and payload preparation in one generated function when the mapping allows it (this validates
    # the mapping too); otherwise the compiled mapping, then the preparation
    run = compile_prepared(mapping, schema, text)
    if run is None:
        run = _chain(compile_mapping(mapping), schema.prepare)
    compile_counts["compiled"] += 1
    _RUNS[key] = run
    if len(_RUNS) > _RUNS_SIZE:
        _RUNS.popitem(last=False)
    return run


def _compile_mapping(c: _Compiled) -> None:
    """`c.run` (mapping and payload preparation) from `c.mapping`; raises MappingError for an invalid mapping."""
    c.run = _run_for(c.slug, c.mapping)
    c.mapping = None


# -- a lazy engine's first runs of a mapping not compiled yet
#
# Generating and compiling a mapping's function costs about as much as 150-200 runs of it cost more when its
# directives run as plain closures (`compile_closures`: built ~15x faster, each run ~2x slower). compare's
# verification engines are lazy and build many mappings that run on a few events only, so a lazy engine runs
# a mapping this process has not compiled as closures for its first `_FIRST_RUNS` runs (counted over every
# lazy engine of the process), then compiles it (`_run_for`) and runs the compiled function from then on. The
# two forms give the same payloads and errors (tests/actions/test_mapping_build_cost.py).

_FIRST_RUNS = 32
_FIRST_SIZE = 512
_FIRST: OrderedDict[tuple, list] = OrderedDict()  # key of `_RUNS` -> [closure form, runs left]
first_counts = {"built": 0, "promoted": 0}  # closure forms built / mappings compiled after their first runs


def _compile_lazily(c: _Compiled) -> None:
    """`_compile_mapping` for a lazy engine: the compiled function when this process has it, else the closure
    form counting its runs; raises MappingError for an invalid mapping, as `_compile_mapping` does."""
    key = (c.slug, repr(c.mapping))
    run = _compiled(key)
    if run is not None:
        c.run = run
        c.mapping = None
        return
    state = _FIRST.get(key)
    if state is None:
        from .mapping_kit.compile import compile_closures

        # validated as `_run_for` validates; a copy of the mapping is kept to compile (the caller may change
        # its own once the engine has run it)
        closures = _chain(compile_closures(c.mapping), _schema(c.slug).prepare)
        state = [closures, _FIRST_RUNS, copy.deepcopy(c.mapping)]
        first_counts["built"] += 1
        _FIRST[key] = state
        if len(_FIRST) > _FIRST_SIZE:
            _FIRST.popitem(last=False)
    c.mapping = None
    closures, mapping = state[0], state[2]

    def first_runs(event=UNDEFINED):
        state[1] -= 1
        if state[1] < 0:  # run enough: compiled (once per process), for this and every later event
            if _FIRST.pop(key, None) is not None:
                first_counts["promoted"] += 1
            c.run = compiled = _run_for(c.slug, mapping)
            return compiled(event)
        return closures(event)

    c.run = first_runs


_DISPATCH_LIMIT = 256  # distinct event types remembered per engine (the rest are dispatched on the fly)


class Engine:
    """Runs events through subscriptions. Everything per subscription (trigger, mapping, schema) is compiled
    here once; `send` does only per-event work.

    settings: destination settings (apiKey, secretKey, endpoint). now: epoch ms frozen as "current time"
    (Group Identify's default time) for reproducible output. responder: optional callable(request) -> status
    (or (status, text)) that simulates Amplitude's answers; a non-2xx status becomes the runtime's HTTPError.
    lazy: compile (and validate) each subscription's mapping when it first runs instead of here, for an engine
    holding many subscriptions of which an event stream may run few (the caller must not change the mappings
    meanwhile); a mapping that does not compile then raises from `send`/`fire`, as it would have from here. A
    mapping no engine of the process has compiled yet runs as closures for its first runs, then compiled
    (`_compile_lazily`): the same results, less building for mappings that run on a few events only.
    """

    def __init__(
        self,
        settings: dict,
        subscriptions: Iterable[dict],
        now: int | None = None,
        *,
        responder: Responder | None = None,
        lazy: bool = False,
    ):
        # the runtime hands actions the settings without subscription/oauth keys
        self.settings = {
            k: v for k, v in dict(settings or {}).items() if k not in ("subscription", "subscriptions", "oauth")
        }
        self.now = now
        self.responder = responder
        self._ctx = {"now": now}
        self._subs: list[_Compiled] = []
        for sub in subscriptions:
            if sub.get("enabled", True) is False:
                continue
            slug = _slug_for(sub.get("partnerAction"))
            if slug is None:
                raise ConfigError(
                    f"subscription {sub.get('name')!r}: unknown action {sub.get('partnerAction')!r}; "
                    f"valid actions: {_valid_actions()}"
                )
            c = _Compiled()
            c.index = len(self._subs)
            c.name = sub.get("name")
            c.slug = slug
            try:
                c.trigger = _compile_trigger(sub["subscribe"])
            except Exception as exc:
                raise ConfigError(f"subscription {c.name!r}: trigger does not parse: {exc}") from None
            c.prepare = _schema(slug).prepare
            c.mapping = sub.get("mapping") or {}
            c.run = None
            if not lazy:
                _compile_mapping(c)
            c.perform = ACTIONS[slug].perform
            c.types = _trigger_types(sub["subscribe"])
            c.subscribe = sub["subscribe"]
            self._subs.append(c)
        self._all = tuple((sub, sub.trigger) for sub in self._subs)
        self._by_type: dict[str, tuple] = {}

    def _for_type(self, event_type) -> tuple:
        """(subscription, what is left of its trigger to test, None when nothing) for every subscription whose
        trigger can match an object event of this `type` (a string, or None for any other value), in order.

        A trigger limited by type (`types` not None) cannot raise on an object event, so the tests of `type`
        it holds are decided here once (`fql.residual_trigger`): `type = "page"` leaves nothing to test,
        `type = "track" and event != "Order Completed"` leaves the test of `event`."""
        subs = self._by_type.get(event_type)
        if subs is None:
            out = []
            for sub in self._subs:
                if sub.types is None:
                    out.append((sub, sub.trigger))
                elif event_type is not None and event_type in sub.types:
                    rest = _residual_trigger(sub.subscribe, event_type)
                    if rest is not False:
                        out.append((sub, None if rest is True else rest))
            subs = tuple(out)
            if len(self._by_type) < _DISPATCH_LIMIT:
                self._by_type[event_type] = subs
        return subs

    def _candidates(self, event) -> tuple:
        """(subscription, test left of its trigger or None) for the subscriptions whose trigger may match
        `event` (by its type), in order."""
        if type(event) is dict:
            event_type = event.get("type")
            subs = self._by_type.get(event_type) if type(event_type) is str else None
            if subs is None:
                subs = self._for_type(event_type if type(event_type) is str else None)
            return subs
        return self._all

    def send(self, event: dict) -> list[dict]:
        """Every subscription whose trigger matches, with the requests it made and its error (or None)."""
        # `_candidates` and the loop written out (one call less per event, no comprehension frame)
        if type(event) is dict:
            event_type = event.get("type")
            subs = self._by_type.get(event_type) if type(event_type) is str else None
            if subs is None:
                subs = self._for_type(event_type if type(event_type) is str else None)
        else:
            subs = self._all
        fired = []
        for sub, test in subs:
            if test is None or test(event):
                fired.append(self._fire(sub, event))
        return fired

    def send_indexed(self, event: dict) -> list[tuple[int, dict]]:
        """`send`, each entry with the index of its subscription in `subscriptions()`."""
        return [
            (sub.index, self._fire(sub, event))
            for sub, test in self._candidates(event)
            if test is None or test(event)
        ]

    # -- one subscription at a time: `send(event)` is, in order, `fire(i, event)` for every index `i` of
    # `subscriptions()` whose `matches(i, event)` is true (an exception from a trigger propagates from both)

    def subscriptions(self) -> list[tuple[str, str]]:
        """(name, action slug) of every enabled subscription, in the order `send` runs them."""
        return [(sub.name, sub.slug) for sub in self._subs]

    def matches(self, index: int, event: dict) -> bool:
        """Whether subscription `index`'s trigger matches `event`."""
        return bool(self._subs[index].trigger(event))

    def fire(self, index: int, event: dict) -> dict:
        """Run subscription `index` on `event` (its trigger is not checked): what `send` lists for it."""
        return self._fire(self._subs[index], event)

    def _fire(self, sub, event: dict) -> dict:
        """One subscription on one event, its trigger already matched: what `send` lists for it."""
        if sub.run is None:  # a lazy engine's subscription, first run: an invalid mapping raises here
            _compile_lazily(sub)
        sent = None
        try:
            requests = sub.perform(sub.run(event), self.settings, self._ctx)
            if self.responder is None:  # nothing answers: every request built is sent
                return {"subscription": sub.name, "action": sub.slug,
                        "requests": requests if type(requests) is list else list(requests), "error": None}
            sent = []
            _deliver(requests, self.responder, sent)
        except Exception as exc:  # reported per subscription, as the runtime does
            return {"subscription": sub.name, "action": sub.slug, "requests": [] if sent is None else sent,
                    "error": _error_dict(exc)}
        return {"subscription": sub.name, "action": sub.slug, "requests": sent, "error": None}


def run_action(
    slug: str,
    event: dict,
    mapping: dict | None = None,
    settings: dict | None = None,
    *,
    use_default_mappings: bool = False,
    now: int | None = None,
    responder: Responder | None = None,
) -> dict:
    """One action on one event, like the runtime's test harness (`testAction`): no trigger, optional
    default mappings. Returns {"requests": [...], "error": None | {...}}."""
    from .mapping_kit import transform

    module = ACTIONS[slug]
    if use_default_mappings:
        mapping = merge_default_mapping(module.FIELDS, mapping)
    sent: list[dict] = []
    error = None
    try:
        payload = _schema(slug).prepare(transform(mapping or {}, event))
        _deliver(module.perform(payload, dict(settings or {}), {"now": now}), responder, sent)
    except ActionError as exc:
        error = exc.as_dict()
    return {"requests": sent, "error": error}
