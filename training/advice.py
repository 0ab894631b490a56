"""The training report's warnings: members unlikely to be recognised, and what to add."""

from __future__ import annotations

import numpy as np

# Fewer usable faces than this and a member's threshold rests on guesswork.
MIN_FACES = 5
# Held-out recall under this: the member will be missed in many photos.
MIN_RECALL = 0.7
# This share of a member's faces nearer to one other member than to their own: look-alikes.
LOOK_ALIKE_SHARE = 0.25


def member_warnings(
    members: list[str],
    counts: dict[str, int],
    validation: dict[str, dict],
    loo_similarities: np.ndarray,
    labels: np.ndarray,
) -> list[str]:
    """One sentence per problem, each saying what to add.

    ``loo_similarities`` are the enrolled faces' leave-one-out member similarities (N x M).
    """
    warnings = []
    for m, name in enumerate(members):
        n = counts.get(name, 0)
        if n < MIN_FACES:
            more = MIN_FACES - n
            warnings.append(
                f"{name}: only {n} usable face{'s' if n != 1 else ''}; add at least {more} more solo "
                f"photo{'s' if more != 1 else ''} (different ages, angles and light) so strangers can be told apart"
            )
        figures = validation.get(name) or {}
        recall, held_out = figures.get("recall"), figures.get("faces", 0)
        if recall is not None and held_out >= 2 and recall < MIN_RECALL:
            warnings.append(
                f"{name}: recognised in only {figures['true_accepts']} of {held_out} held-out photos; add photos "
                "like those the family takes (group photos, side views, as a child and now)"
            )
        own = labels == m
        if own.sum() >= 2 and len(members) > 1:
            rows = loo_similarities[own]
            others = np.delete(rows, m, axis=1)
            nearer = others.max(axis=1) > rows[:, m]
            if nearer.mean() >= LOOK_ALIKE_SHARE:
                culprit = np.delete(np.arange(len(members)), m)[np.bincount(others[nearer].argmax(axis=1)).argmax()]
                warnings.append(
                    f"{name}: {int(nearer.sum())} of {int(own.sum())} faces look more like {members[culprit]} than "
                    f"like {name}'s other photos; add clear solo photos of both, from the same years"
                )
    return warnings
