"""The CI gate of `compare`: read a threshold unambiguously and check one parity figure of the report model.

Threshold rule (the same for --fail-under, --fail-under-exact and --max-skipped):

- `95%` is a percentage: 0.95;
- a number greater than 1 without `%` is a percentage too: `95` is 0.95;
- a number from 0 to 1 without `%` is a fraction, as in report.json: `0.95` is 95%, `1` is 100%.

The gate checks the configuration the report recommends deploying: the user's own subscriptions when
they were given (`--subscriptions`), else the translated subscriptions with the recommended changes.
`chart` reads `parity` (what charts would show); `exact` reads `parity_exact` (every stored field),
falling back to `parity` for a model that carries only one figure.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import click

__all__ = ["parse_threshold", "Threshold", "GateResult", "gate", "deployed_variant", "duplicates_note"]


def parse_threshold(text) -> float:
    """`0.95`, `95%` or `95` -> 0.95. Raises ValueError with the rule when the text is none of these."""
    raw = str(text).strip()
    percent = raw.endswith("%")
    number = raw[:-1].strip() if percent else raw
    try:
        value = float(number)
    except ValueError:
        raise ValueError(f"{text!r} is not a number: write 0.95, 95% or 95") from None
    if math.isnan(value) or value < 0 or value > 100 or (percent and value > 100):
        raise ValueError(f"{text!r} is out of range: write a fraction from 0 to 1 (0.95) or a percentage up to "
                         "100 (95% or 95)")
    if percent or value > 1:
        return value / 100
    return value


class Threshold(click.ParamType):
    """A click parameter for a share: 0.95, 95% or 95, returned as the fraction 0.95."""

    name = "share"

    def convert(self, value, param, ctx):
        if isinstance(value, float):
            return value
        try:
            return parse_threshold(value)
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


@dataclass(frozen=True)
class GateResult:
    figure: str  # "chart" or "exact"
    variant: str  # the report model's variant key
    label: str  # the variant's label, as the report shows it
    value: float | None
    threshold: float
    option: str

    @property
    def passed(self) -> bool:
        return self.value is not None and self.value >= self.threshold

    def line(self) -> str:
        shown = "n/a (no events)" if self.value is None else f"{self.value * 100:.1f}%"
        verdict = "passed" if self.passed else "FAILED"
        relation = ">=" if self.passed else "<"
        if self.value is None:
            relation = "vs"
        return (f"gate {verdict}: {self.figure} parity of {self.label!r} is {shown} {relation} "
                f"{self.option} {self.threshold * 100:.1f}%")


def deployed_variant(model: dict) -> str:
    """The variant the report recommends deploying: the user's subscriptions when given, else the
    recommended set (translated + verified changes)."""
    inputs = model.get("inputs") or {}
    if inputs.get("subscriptions_file") or inputs.get("recommend") is False:
        return "translated"  # the user's own subscriptions, or no recommendations (--no-recommend)
    return "recommended"


def gate(model: dict, variant: str, threshold: float, *, exact: bool = False) -> GateResult:
    """Check one parity figure of `variant` in the report model against `threshold` (a fraction)."""
    if exact:
        figures = model.get("parity_exact", model["parity"])
    else:
        figures = model["parity"]
    value = figures.get(variant)
    label = ((model.get("variants") or {}).get(variant) or {}).get("label", variant)
    return GateResult("exact" if exact else "chart", variant, label, value, threshold,
                      "--fail-under-exact" if exact else "--fail-under")


def duplicates_note(count: int, dropped: bool, subscriptions) -> str:
    """What Segment and Amplitude do with events that repeat a messageId, for these subscriptions."""
    if not count:
        return ""
    maps_insert_id = any(isinstance(s, dict) and (s.get("mapping") or {}).get("insert_id") for s in subscriptions or ())
    head = (f"{count} events repeat an earlier messageId"
            + (" and were dropped (--dedupe), as Segment's deduplication drops them before any destination. "
               if dropped else "; they were compared twice. Segment drops such repeats before any destination "
                               "(within about a day); run with --dedupe to do the same. "))
    if maps_insert_id:
        tail = ("Your subscriptions map insert_id, so Amplitude ignores a repeat it receives for the same device "
                "within 7 days.")
    else:
        tail = ("Your subscriptions do not map insert_id, so Amplitude would store a repeat that reaches it as a "
                "second event; map insert_id from $.messageId to let Amplitude drop it (7-day window per device).")
    return head + tail
