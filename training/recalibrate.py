"""Re-set members' thresholds from labelled photos (``familyphoto calibrate``).

Labels say who is in a photo, not which face is whom, so a member's genuine score in a
photo where they are is the highest probability any face there gets for them, and their
impostor scores are every face's probability in the photos where they are not. Each
threshold is then the loosest one whose impostor accept rate is at most the target, never
looser than the floor the family was trained with.
"""

from __future__ import annotations

import copy
import math
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import torch

from inference.decision import DECISION_THRESHOLD
from inference.family import Family
from inference.manifest import Manifest
from inference.models.embedding_head import save_head
from inference.models.similarity_head import SimilarityHead
from training.calibrate import Calibration, calibrate_member, similarity_floor
from training.export import export_family
from training.evaluate import PhotoOutcome

# Non-embedding recipes have no distance in which to express a floor: 0.5 is the sigmoid's
# own decision point.
DEFAULT_FLOOR = 0.5


def member_scores(outcomes: list[PhotoOutcome], members: list[str]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per member: (genuine scores, impostor scores) from the labelled photos."""
    scores: dict[str, tuple[list[float], list[float]]] = {m: ([], []) for m in members}
    for outcome in outcomes:
        if outcome.error is not None or not len(outcome.boxes):
            continue
        for j, m in enumerate(members):
            column = outcome.probabilities[:, j]
            if m in outcome.truth:
                scores[m][0].append(float(column.max()))
            else:
                scores[m][1].extend(float(x) for x in column)
    return {m: (np.asarray(g), np.asarray(i)) for m, (g, i) in scores.items()}


def floors(family: Family) -> dict[str, float]:
    """The loosest threshold allowed per member: the probability of a face at the embedder's
    match point (the similarity head), or the older families' distance floor; for the seed
    recipe the probability of a raw logit of 0; else 0.5."""
    classifier = family.classifier
    if family.manifest.recipe == "seed":
        classifier.load()
        seed = classifier.seed
        if not seed.calibrated:  # an older seed family: its thresholds are raw probabilities
            return {m: DEFAULT_FLOOR for m in family.members}
        # A raw logit of 0 (training/train_seed.py's floor), in the calibrated output's probability.
        return {m: _probability(seed.slope * (0.0 - float(seed.thresholds[i]))) for i, m in enumerate(family.members)}
    if family.manifest.recipe != "embedding-head":
        return {m: DEFAULT_FLOOR for m in family.members}
    classifier.load()
    head = classifier.head
    if isinstance(head, SimilarityHead):
        return {m: _probability(float(head.slope) * (similarity_floor(head, i) - float(head.thresholds[i])))
                for i, m in enumerate(family.members)}
    max_distance = family.manifest.calibration.get("max_distance")
    if max_distance is None:
        return {m: DEFAULT_FLOOR for m in family.members}
    scale = head.log_scale.exp().item()  # MemberHead: the probability at max_distance from the prototype
    return {m: _probability(scale * (head.offset[i].item() - float(max_distance))) for i, m in enumerate(family.members)}


def _probability(logit: float) -> float:
    return 1.0 / (1.0 + math.exp(-logit))


def recalibrate(
    family: Family, outcomes: list[PhotoOutcome], *, target_far: float
) -> dict[str, Calibration | None]:
    """New thresholds per member; ``None`` for a member with no photo in the set (left as is)."""
    scores = member_scores(outcomes, family.members)
    limits = floors(family)
    result: dict[str, Calibration | None] = {}
    for m in family.members:
        genuine, impostor = scores[m]
        result[m] = (
            calibrate_member(genuine, impostor, target_far=target_far, floor=limits[m]) if len(genuine) else None
        )
    return result


def write_thresholds(
    directory: Path, manifest: Manifest, calibrations: dict[str, Calibration | None], *, source: Path, target_far: float,
    family: Family | None = None,
) -> Manifest:
    """The family with the new thresholds (and how they were set), written atomically.

    A similarity-head family keeps 0.5 as every member's threshold: its head's logit thresholds
    move instead, so that the new probability threshold becomes 0.5 and the probabilities keep
    one meaning. Other families get the new thresholds in the manifest.
    """
    thresholds = dict(manifest.thresholds)
    record = {}
    for m, c in calibrations.items():
        if c is None:
            continue
        record[m] = {"previous": thresholds[m], **c.as_dict()}
        thresholds[m] = c.threshold
    calibration = dict(manifest.calibration)
    calibration["recalibrated"] = {
        "at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "source": str(source),
        "method": "labelled photos: best face per member where present as genuine, every face where absent as impostor",
        "target_false_accept_rate": target_far,
        "members": record,
    }
    head = _similarity_head(family)
    if head is None:
        updated = manifest.model_copy(update={"thresholds": thresholds, "calibration": calibration})
        updated.write(directory)
        return updated
    with torch.no_grad():
        slope = float(head.slope)
        for i, m in enumerate(manifest.members):
            p = min(max(thresholds[m], 1e-6), 1 - 1e-6)
            head.thresholds[i] += math.log(p / (1 - p)) / slope  # probability p becomes 0.5
    calibration["recalibrated"]["applied"] = "per-member logit thresholds of the head moved; every threshold stays 0.5"
    fields = manifest.model_dump(exclude={"classifier_file", "files", "format_version"})
    fields.update(thresholds={m: DECISION_THRESHOLD for m in manifest.members}, calibration=calibration)
    return export_family(directory, save_head(head), fields)


def _similarity_head(family: Family | None) -> SimilarityHead | None:
    if family is None or family.manifest.recipe != "embedding-head":
        return None
    family.classifier.load()
    head = family.classifier.head
    return copy.deepcopy(head) if isinstance(head, SimilarityHead) else None
