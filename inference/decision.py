"""The family decision: who is in the photo, each member at most once, each face one person."""

from __future__ import annotations

import numpy as np
from scipy.optimize import linear_sum_assignment

# A calibrated classifier's one threshold: a face is a member when its probability reaches 50%.
DECISION_THRESHOLD = 0.5


def assign_members(probabilities: np.ndarray, thresholds: np.ndarray) -> list[int | None]:
    """Assign faces to members one-to-one.

    ``probabilities`` is F faces x M members; ``thresholds`` has one value per member.
    A face may take a member only if its probability reaches that member's threshold;
    among the consistent assignments that accept the most faces, the one with the highest
    total probability wins
    (so two faces that both look like Dad do not both become Dad: the likelier one does,
    and the other is whoever else it matches, or a stranger). Returns, per face, the
    member index or ``None`` for a stranger.
    """
    faces, members = probabilities.shape
    result: list[int | None] = [None] * faces
    if faces == 0 or members == 0:
        return result
    admissible = probabilities >= thresholds[np.newaxis, :]
    # Admissible pairs weigh 1 + p and the rest 0: the assignment accepts as many faces as
    # it consistently can, then prefers the likelier pairs; inadmissible ones are dropped below.
    weights = np.where(admissible, 1.0 + probabilities, 0.0)
    rows, cols = linear_sum_assignment(weights, maximize=True)
    for face, member in zip(rows, cols):
        if admissible[face, member]:
            result[face] = int(member)
    return result
