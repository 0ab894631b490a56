"""How good a trained family is on labelled photos: presence figures, confusions, a threshold sweep.

The pipeline runs once per photo (:func:`collect`); every figure after that is recomputed
from the faces' probabilities with the family decision, so a sweep or a recalibration
costs no further inference.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy.optimize import linear_sum_assignment

from inference.batch import analyze_paths, outcome_of
from inference.decision import assign_members
from inference.family import Family
from inference.pipeline import Pipeline
from inference.progress import OnProgress, Progress, no_progress
from inference.settings import Settings
from inference.types import Outcome, PhotoError
from training.labelled import LabelledSet

STRANGER_ROW = "stranger"  # confusion row: a face of nobody in the photo's labels
MISSED_COLUMN = "missed"  # confusion column: a member in the photo that nobody was assigned to


@dataclass
class PhotoOutcome:
    """One labelled photo after the pipeline: its faces' boxes and probabilities."""

    path: Path
    truth: frozenset[str]  # family members truly in the photo
    boxes: list[list[int]] = field(default_factory=list)
    probabilities: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.float32))  # faces x members
    width: int = 0
    height: int = 0
    error: str | None = None


@dataclass
class PhotoVerdict:
    """What the family decision said about one photo, against the truth."""

    outcome: PhotoOutcome
    assigned: list[str | None]  # per face
    said: set[str]

    @property
    def missed(self) -> set[str]:
        return set(self.outcome.truth) - self.said

    @property
    def wrong(self) -> set[str]:
        return self.said - self.outcome.truth

    @property
    def correct(self) -> bool:
        return self.outcome.error is None and not self.missed and not self.wrong


@dataclass
class Evaluation:
    """Every figure of the report, for one set of thresholds."""

    members: list[str]
    thresholds: dict[str, float]
    verdicts: list[PhotoVerdict]
    tp: int
    fp: int
    fn: int
    per_member: dict[str, dict[str, float | int | None]]
    confusion: np.ndarray  # (members + stranger) x (members + missed) counts
    stranger_photos: int
    stranger_photos_reporting: int

    @property
    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None

    @property
    def f1(self) -> float | None:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p and r else (0.0 if p is not None and r is not None else None)

    @property
    def scored(self) -> list[PhotoVerdict]:
        return [v for v in self.verdicts if v.outcome.error is None]

    @property
    def false_accept_rate(self) -> float | None:
        """Share of (photo, member) pairs with the member absent in which the member was reported."""
        negatives = len(self.scored) * len(self.members) - (self.tp + self.fn)
        return self.fp / negatives if negatives > 0 else None

    @property
    def miss_rate(self) -> float | None:
        return self.fn / (self.tp + self.fn) if self.tp + self.fn else None

    @property
    def stranger_far(self) -> float | None:
        """Share of photos with nobody of the family in which someone was reported."""
        return self.stranger_photos_reporting / self.stranger_photos if self.stranger_photos else None

    @property
    def errors(self) -> list[PhotoVerdict]:
        return [v for v in self.verdicts if v.outcome.error is not None]

    @property
    def wrong_photos(self) -> list[PhotoVerdict]:
        return [v for v in self.scored if not v.correct]

    def summary(self) -> dict:
        """The headline figures (JSON-ready)."""
        return {
            "photos": len(self.verdicts),
            "unreadable": len(self.errors),
            "pairs": {"true_accepts": self.tp, "false_accepts": self.fp, "misses": self.fn},
            "precision": _round(self.precision),
            "recall": _round(self.recall),
            "f1": _round(self.f1),
            "false_accept_rate": _round(self.false_accept_rate),
            "miss_rate": _round(self.miss_rate),
            "stranger_photos": self.stranger_photos,
            "stranger_photos_reporting_anyone": self.stranger_photos_reporting,
            "stranger_false_accept_rate": _round(self.stranger_far),
            "wrong_photos": len(self.wrong_photos),
        }


def collect(
    labelled: LabelledSet,
    family_dir: Path,
    settings: Settings,
    *,
    on_progress: OnProgress = no_progress,
    pipeline: Pipeline | None = None,
) -> tuple[Family, list[PhotoOutcome]]:
    """Run the pipeline once over every labelled photo: on all cores, or on ``pipeline``
    (a loaded one, in this process: what the service uses) with the family it holds."""
    paths = [p.path for p in labelled.photos]
    if pipeline is not None and pipeline.family is not None:
        family = pipeline.family
        results: Iterable[Outcome] = (outcome_of(pipeline, path, crops=False) for path in paths)
    else:
        family = Family.load(family_dir)
        results = analyze_paths(paths, settings, weights=family_dir, crops=False)
    known = set(family.members)
    outcomes = []
    on_progress(Progress("evaluate", 0, len(paths)))
    for done, (photo, result) in enumerate(zip(labelled.photos, results), start=1):
        outcomes.append(labelled_outcome(photo.path, frozenset(photo.members & known), result, family.members))
        on_progress(Progress("evaluate", done, len(paths)))
    return family, outcomes


def labelled_outcome(path: Path, truth: frozenset[str], result: Outcome, members: list[str]) -> PhotoOutcome:
    """A labelled photo's pipeline result, its probabilities at full precision (what predict decides on)."""
    if isinstance(result, PhotoError):
        return PhotoOutcome(path, truth, error=result.message)
    return PhotoOutcome(
        path, truth, [f.box.as_list() for f in result.faces], result.probability_matrix(members), result.width, result.height
    )


def evaluate(outcomes: list[PhotoOutcome], members: list[str], thresholds: dict[str, float]) -> Evaluation:
    """All figures for ``thresholds`` (the family decision re-run on the stored probabilities)."""
    thr = np.asarray([thresholds[m] for m in members], dtype=np.float32)
    index = {m: i for i, m in enumerate(members)}
    n = len(members)
    confusion = np.zeros((n + 1, n + 1), dtype=np.int64)
    per = {m: {"tp": 0, "fp": 0, "fn": 0} for m in members}
    verdicts, strangers, strangers_reporting = [], 0, 0
    for outcome in outcomes:
        if outcome.error is not None:
            verdicts.append(PhotoVerdict(outcome, [], set()))
            continue
        decided = assign_members(outcome.probabilities, thr) if len(outcome.boxes) else []
        assigned = [members[d] if d is not None else None for d in decided]
        verdict = PhotoVerdict(outcome, assigned, {a for a in assigned if a is not None})
        verdicts.append(verdict)
        for m in verdict.said & outcome.truth:
            per[m]["tp"] += 1
            confusion[index[m], index[m]] += 1
        for m in verdict.wrong:
            per[m]["fp"] += 1
        for m in verdict.missed:
            per[m]["fn"] += 1
        for true, said in _confusions(verdict, index):
            row = index[true] if true is not None else n
            col = index[said] if said is not None else n
            confusion[row, col] += 1
        if not outcome.truth:
            strangers += 1
            strangers_reporting += bool(verdict.said)
    per_member = {
        m: {
            "precision": _round(c["tp"] / (c["tp"] + c["fp"]) if c["tp"] + c["fp"] else None),
            "recall": _round(c["tp"] / (c["tp"] + c["fn"]) if c["tp"] + c["fn"] else None),
            "photos": c["tp"] + c["fn"],
            "true_accepts": c["tp"],
            "false_accepts": c["fp"],
            "misses": c["fn"],
        }
        for m, c in per.items()
    }
    tp = sum(c["tp"] for c in per.values())
    fp = sum(c["fp"] for c in per.values())
    fn = sum(c["fn"] for c in per.values())
    return Evaluation(members, dict(thresholds), verdicts, tp, fp, fn, per_member, confusion, strangers, strangers_reporting)


def _confusions(verdict: PhotoVerdict, index: dict[str, int]) -> list[tuple[str | None, str | None]]:
    """(true, said) pairs for the mistakes of one photo.

    Labels name who is in a photo, not which face is whom, so each wrongly named face is
    paired with the missed member it most resembles (one-to-one, by its probabilities):
    that pair is a mix-up (true member → said member). A wrong name left unpaired was a
    stranger's face (``None`` → said); a missed member left unpaired was not found at all
    (true → ``None``).
    """
    faces = [i for i, a in enumerate(verdict.assigned) if a is not None and a in verdict.wrong]
    missed = sorted(verdict.missed)
    pairs: list[tuple[str | None, str | None]] = []
    paired_faces: set[int] = set()
    paired_missed: set[str] = set()
    if faces and missed:
        probs = verdict.outcome.probabilities
        weights = np.asarray([[probs[f, index[m]] for m in missed] for f in faces])
        for r, c in zip(*linear_sum_assignment(weights, maximize=True)):
            pairs.append((missed[c], verdict.assigned[faces[r]]))
            paired_faces.add(faces[r])
            paired_missed.add(missed[c])
    pairs += [(None, verdict.assigned[f]) for f in faces if f not in paired_faces]
    pairs += [(m, None) for m in missed if m not in paired_missed]
    return pairs


def shifted(thresholds: dict[str, float], shift: float) -> dict[str, float]:
    """Every threshold moved by ``shift`` in log-odds (0: unchanged; > 0: stricter)."""
    return {m: _sigmoid(_logit(t) + shift) for m, t in thresholds.items()}


def sweep(
    outcomes: list[PhotoOutcome], members: list[str], thresholds: dict[str, float], shifts: np.ndarray | None = None
) -> list[dict[str, float | None]]:
    """False accepts against misses as all thresholds move together (in log-odds) around the current ones."""
    if shifts is None:
        shifts = np.round(np.linspace(-4.0, 4.0, 33), 3)
    points = []
    for s in shifts:
        e = evaluate(outcomes, members, shifted(thresholds, float(s)))
        points.append(
            {
                "shift": float(s),
                "false_accept_rate": e.false_accept_rate,
                "miss_rate": e.miss_rate,
                "stranger_false_accept_rate": e.stranger_far,
                "precision": e.precision,
                "recall": e.recall,
                "f1": e.f1,
            }
        )
    return points


def _logit(p: float) -> float:
    p = min(max(p, 1e-6), 1 - 1e-6)
    return math.log(p / (1 - p))


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def _round(x: float | None) -> float | None:
    return None if x is None else round(float(x), 4)
