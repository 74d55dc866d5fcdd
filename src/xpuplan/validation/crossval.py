"""Out-of-group accuracy: refit the calibration without a group of cases, then predict that group.

An accuracy figure xpuplan publishes is out-of-group. For each group (a source, or an accelerator
family) the calibration is refitted on every other case and the held-out group is predicted with
those parameters; the errors of all held-out predictions are then summarized per group and
overall. The in-sample error (calibrated on every case) is reported beside it, never instead.

The estimator side plugs in through :class:`Calibration`: ``fit`` turns cases into parameters,
``errors`` predicts cases under given parameters and returns each predicted case's signed relative
error ``(predicted - measured) / measured`` of its primary metric. Cases that cannot be predicted
are simply absent from ``errors``' answer (the validation report lists them with their reason).
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Literal, Protocol, TypeVar

import numpy as np

from xpuplan.errors import InputError
from xpuplan.validation.cases import ValidationCase

__all__ = [
    "CALIBRATIONS",
    "GROUPINGS",
    "Calibration",
    "CrossValidation",
    "GroupError",
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


@dataclass(frozen=True)
class GroupError:
    """Error statistics of one group's predictions (fractions, not percent)."""

    group: str
    n: int
    median_abs_error: float
    signed_median_error: float
    p90_abs_error: float
    max_abs_error: float
    worst_case: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "group": self.group,
            "n": self.n,
            "median_abs_error": self.median_abs_error,
            "signed_median_error": self.signed_median_error,
            "p90_abs_error": self.p90_abs_error,
            "max_abs_error": self.max_abs_error,
            "worst_case": self.worst_case,
        }


@dataclass(frozen=True)
class CrossValidation:
    """Out-of-group errors per held-out group and overall, with the in-sample errors beside."""

    kind: str
    group_by: str
    groups: tuple[GroupError, ...]
    overall: GroupError
    in_sample: GroupError
    errors: Mapping[str, float]  # out-of-group signed error by case id
    by_family: tuple[GroupError, ...] = ()  # the same out-of-group errors per accelerator family

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "group_by": self.group_by,
            "groups": [g.to_dict() for g in self.groups],
            "overall": self.overall.to_dict(),
            "in_sample": self.in_sample.to_dict(),
            "by_family": [g.to_dict() for g in self.by_family],
            "errors": dict(sorted(self.errors.items())),
        }


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
    per_group: list[GroupError] = []
    for name in sorted(groups):
        members = groups[name]
        rest = [c for c in cases if key(c, group_by) != name]
        params = calibration.fit(rest)
        group_errors = calibration.errors(members, params)
        held_out.update(group_errors)
        per_group.append(summarize_errors(name, group_errors))
    in_sample = calibration.errors(cases, calibration.fit(cases))
    family_of = {c.id: case_group(c, "family") for c in cases}
    families: dict[str, dict[str, float]] = {}
    for case_id, error in held_out.items():
        families.setdefault(family_of[case_id], {})[case_id] = error
    return CrossValidation(
        kind=kind,
        group_by=group_by,
        groups=tuple(per_group),
        overall=summarize_errors("all", held_out),
        in_sample=summarize_errors("all (in-sample)", in_sample),
        errors=held_out,
        by_family=tuple(
            summarize_errors(f"family {name}", errs) for name, errs in sorted(families.items())
        ),
    )
