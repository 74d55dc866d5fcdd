"""Out-of-group accuracy: refit the calibration without a group of cases, then predict that group.

An accuracy figure xpuplan publishes is out-of-group. For each group (a source, or an accelerator
family) the calibration is refitted on every other case and the held-out group is predicted with
those parameters; the errors of all held-out predictions are then summarized per group and
overall. The in-sample error (calibrated on every case) is reported beside it, never instead.

The estimator side plugs in through :class:`Calibration`: ``fit`` turns cases into parameters,
``errors`` predicts cases under given parameters and returns each predicted case's signed relative
error ``(predicted - measured) / measured`` of its primary metric. Cases that cannot be predicted
are simply absent from ``errors``' answer (the validation report lists them with their reason).
``latency_errors`` does the same for latency metrics (TTFT, TPOT, end-to-end; serving only): one
error per case and latency kind, so a case that publishes a mean, a median and a p99 of one kind
still counts once, and the latency figure is held out exactly as the throughput figure is.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any, Generic, Literal, Protocol, TypeVar

import numpy as np

from xpuplan.errors import InputError
from xpuplan.jsontypes import as_dict, js
from xpuplan.validation.cases import ValidationCase

__all__ = [
    "CALIBRATIONS",
    "GROUPINGS",
    "Calibration",
    "CrossValidation",
    "GroupError",
    "LatencyCrossValidation",
    "calibration_for",
    "case_group",
    "cross_validate",
    "summarize_errors",
]

GroupBy = Literal["source", "family"]
GROUPINGS: tuple[str, ...] = ("source", "family")

P = TypeVar("P")


class Calibration(Protocol, Generic[P]):
    """How one estimator is calibrated on cases and predicts cases under parameters."""

    def fit(self, cases: Sequence[ValidationCase]) -> P:
        """Parameters fitted on ``cases`` only."""
        ...

    def errors(self, cases: Sequence[ValidationCase], params: P) -> dict[str, float]:
        """Signed relative error of each predictable case's primary metric, by case id."""
        ...

    def latency_errors(self, cases: Sequence[ValidationCase], params: P) -> dict[str, float]:
        """Signed relative error of each predictable case's latency, one per latency kind, keyed
        ``"<case id>|<kind>"`` (kind: ttft, tpot, e2e); empty for estimators without latency."""
        ...


# Calibration of each case kind: (module, factory) imported lazily; the factory takes no argument
# and returns a Calibration. Another estimator registers its kind with one line here.
CALIBRATIONS: dict[str, tuple[str, str]] = {
    "train": ("xpuplan.validation.train_calibration", "TrainCalibration"),
    "infer": ("xpuplan.validation.infer_calibration", "ServingCalibration"),
}


def calibration_for(kind: str) -> Calibration[Any]:
    """A fresh calibration of ``kind`` (InputError, exit 2, when no calibration is registered)."""
    target = CALIBRATIONS.get(kind)
    if target is None:
        known = ", ".join(sorted(CALIBRATIONS)) or "none"
        raise InputError(
            f"kind={kind}: no calibration is registered for cross-validation; "
            f"registered kinds: {known}"
        )
    module = importlib.import_module(target[0])
    factory: Callable[[], Calibration[Any]] = getattr(module, target[1])
    return factory()


Fraction = Annotated[float, js(minimum=0)]


@dataclass(frozen=True)
class GroupError:
    """Error statistics of one group's predictions (fractions, not percent)."""

    group: Annotated[
        str,
        js(
            description="what the statistics are of: a held-out source or family, "
            "'family X' or 'latency X' per family or latency kind, 'all' overall"
        ),
    ]
    n: Annotated[int, js(minimum=0, description="predicted cases (0: none could be)")]
    median_abs_error: Fraction
    signed_median_error: Annotated[
        float, js(description="median of (predicted - measured) / measured: the bias")
    ]
    p90_abs_error: Fraction
    max_abs_error: Fraction
    worst_case: Annotated[
        str | None, js(description="id of the case with the largest |error|; null if n is 0")
    ]

    def to_dict(self) -> dict[str, Any]:
        return as_dict(self)


LATENCY_KEY_SEPARATOR = "|"


def latency_kind(key: str) -> str:
    """The latency kind (ttft, tpot, e2e) of a ``latency_errors`` key."""
    return key.rpartition(LATENCY_KEY_SEPARATOR)[2]


def latency_case(key: str) -> str:
    """The case id of a ``latency_errors`` key."""
    return key.rpartition(LATENCY_KEY_SEPARATOR)[0]


@dataclass(frozen=True)
class LatencyCrossValidation:
    """Out-of-group latency errors (one per case and latency kind), held out as the primary
    metric is: per held-out group, overall, per kind, per family, with the in-sample beside."""

    groups: Annotated[
        tuple[GroupError, ...],
        js(description="each held-out group with a latency figure, fitted without it"),
    ]
    overall: GroupError
    in_sample: Annotated[GroupError, js(description="calibrated on every case")]
    by_kind: Annotated[tuple[GroupError, ...], js(description="per latency kind: ttft, tpot, e2e")]
    by_family: Annotated[tuple[GroupError, ...], js(description="per accelerator family")]
    errors: Annotated[
        Mapping[str, float],
        js(description='out-of-group signed relative error keyed "<case id>|<kind>"'),
    ]

    def to_dict(self) -> dict[str, Any]:
        return as_dict(self)


@dataclass(frozen=True)
class CrossValidation:
    """Out-of-group errors per held-out group and overall, with the in-sample errors beside.

    A new figure per group is one more field of :class:`GroupError`; a new view of the
    held-out errors one more tuple of them here (``by_family``) or one more section
    (``latency``)."""

    kind: Annotated[str, js(description="the case kind cross-validated: train or infer")]
    group_by: Annotated[str, js(enum=list(GROUPINGS))]
    groups: Annotated[
        tuple[GroupError, ...],
        js(description="each group predicted by a calibration fitted without it"),
    ]
    overall: Annotated[GroupError, js(description="every held-out prediction together")]
    in_sample: Annotated[
        GroupError, js(description="calibrated on every case: beside, never instead")
    ]
    by_family: Annotated[
        tuple[GroupError, ...],
        js(description="the same out-of-group errors per accelerator family"),
    ] = ()
    errors: Annotated[
        Mapping[str, float],
        js(description="out-of-group signed relative error by case id"),
    ] = field(default_factory=dict)
    latency: Annotated[
        LatencyCrossValidation | None,
        js(
            description="the latency errors, held out alike; null when the estimator "
            "predicts no latency"
        ),
    ] = None

    def to_dict(self) -> dict[str, Any]:
        return as_dict(self)


def _by(
    label: str, errors: Mapping[str, float], key: Callable[[str], str]
) -> tuple[GroupError, ...]:
    """``errors`` summarized per ``key`` of their id, sorted, each group named ``label key``."""
    split: dict[str, dict[str, float]] = {}
    for name, error in errors.items():
        split.setdefault(key(name), {})[name] = error
    return tuple(summarize_errors(f"{label}{k}", e) for k, e in sorted(split.items()))


def summarize_errors(group: str, errors: Mapping[str, float]) -> GroupError:
    """Median, signed median, p90 and max of signed relative errors (an empty group gives n=0)."""
    if not errors:
        return GroupError(group, 0, 0.0, 0.0, 0.0, 0.0, None)
    ids = list(errors)
    signed = np.array([errors[i] for i in ids], dtype=np.float64)
    magnitude = np.abs(signed)
    worst = int(np.argmax(magnitude))
    return GroupError(
        group=group,
        n=len(ids),
        median_abs_error=float(np.median(magnitude)),
        signed_median_error=float(np.median(signed)),
        p90_abs_error=float(np.percentile(magnitude, 90)),
        max_abs_error=float(magnitude[worst]),
        worst_case=ids[worst],
    )


def _source_key(case: ValidationCase) -> str:
    """One key per publication: the repository (or host) of the source, else its title.

    Tables of one repository or site (for example every MaxText table) form one source, so a
    held-out source is a whole publication, not one of its tables.
    """
    src = case.source
    for text in (src.url, src.repo_path):
        if not text:
            continue
        github = re.search(r"github\.com/([^/\s]+/[^/\s#?]+)", text)
        if github:
            return github.group(1).lower().removesuffix(".git")
        host = re.search(r"https?://([^/\s]+)", text)
        if host:
            return host.group(1).lower().removeprefix("www.")
    if src.title:
        return re.sub(r"\s+", " ", src.title.strip().lower())
    return "unknown"


def case_group(case: ValidationCase, group_by: str) -> str:
    """The group a case belongs to under ``group_by`` (``source`` or ``family``)."""
    if group_by == "family":
        return case.hardware.family.strip().lower() or "unknown"
    if group_by == "source":
        return _source_key(case)
    raise InputError(
        f"cross_validate: group_by {group_by!r} is not allowed; use one of: source, family"
    )


def cross_validate(
    cases: Sequence[ValidationCase],
    calibration: Calibration[P],
    group_by: str,
    *,
    kind: str,
    key: Callable[[ValidationCase, str], str] = case_group,
) -> CrossValidation:
    """Refit without each group in turn and predict that group; summarize the held-out errors.

    A group whose removal leaves no case to fit on is predicted with parameters fitted on nothing
    (the calibration's prior), which ``fit`` must accept.
    """
    groups: dict[str, list[ValidationCase]] = {}
    for case in cases:
        groups.setdefault(key(case, group_by), []).append(case)
    held_out: dict[str, float] = {}
    held_out_latency: dict[str, float] = {}
    per_group: list[GroupError] = []
    latency_per_group: list[GroupError] = []
    for name in sorted(groups):
        members = groups[name]
        rest = [c for c in cases if key(c, group_by) != name]
        params = calibration.fit(rest)
        group_errors = calibration.errors(members, params)
        held_out.update(group_errors)
        per_group.append(summarize_errors(name, group_errors))
        latency_errors = calibration.latency_errors(members, params)
        held_out_latency.update(latency_errors)
        latency_per_group.append(summarize_errors(name, latency_errors))
    fitted_on_all = calibration.fit(cases)
    in_sample = calibration.errors(cases, fitted_on_all)
    in_sample_latency = calibration.latency_errors(cases, fitted_on_all)
    family_of = {c.id: case_group(c, "family") for c in cases}
    latency = None
    if held_out_latency or in_sample_latency:
        latency = LatencyCrossValidation(
            groups=tuple(g for g in latency_per_group if g.n),
            overall=summarize_errors("all latency", held_out_latency),
            in_sample=summarize_errors("all latency (in-sample)", in_sample_latency),
            by_kind=_by("latency ", held_out_latency, latency_kind),
            by_family=_by(
                "family ", held_out_latency, lambda k: family_of.get(latency_case(k), "unknown")
            ),
            errors=dict(sorted(held_out_latency.items())),
        )
    return CrossValidation(
        kind=kind,
        group_by=group_by,
        groups=tuple(per_group),
        overall=summarize_errors("all", held_out),
        in_sample=summarize_errors("all (in-sample)", in_sample),
        errors=dict(sorted(held_out.items())),
        by_family=_by("family ", held_out, lambda k: family_of[k]),
        latency=latency,
    )
