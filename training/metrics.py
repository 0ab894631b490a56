"""Precision and recall of the family decision on faces whose member is known."""

from __future__ import annotations

import numpy as np

from inference.decision import assign_members


def decide_single_faces(probabilities: np.ndarray, thresholds: np.ndarray) -> list[int | None]:
    """The decision for faces that are each alone in their photo (one row at a time)."""
    return [assign_members(row[np.newaxis, :], thresholds)[0] for row in probabilities]


def per_member_figures(
    decisions: list[int | None], labels: np.ndarray, members: list[str], stranger_decisions: list[int | None] = ()
) -> dict[str, dict[str, float | int]]:
    """Per member: precision, recall and the counts behind them (strangers count as false accepts)."""
    figures = {}
    for m, name in enumerate(members):
        tp = sum(1 for d, y in zip(decisions, labels) if d == m and y == m)
        fp = sum(1 for d, y in zip(decisions, labels) if d == m and y != m) + sum(1 for d in stranger_decisions if d == m)
        fn = sum(1 for d, y in zip(decisions, labels) if y == m and d != m)
        figures[name] = {
            "precision": round(tp / (tp + fp), 4) if tp + fp else None,
            "recall": round(tp / (tp + fn), 4) if tp + fn else None,
            "faces": tp + fn,
            "true_accepts": tp,
            "false_accepts": fp,
            "misses": fn,
        }
    return figures
