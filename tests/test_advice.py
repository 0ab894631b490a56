"""The training report's warnings: who is unlikely to be recognised, and what to add."""

import numpy as np

from training.advice import member_warnings


def test_a_clean_family_gets_no_warning():
    labels = np.repeat([0, 1], 6)
    loo = np.where(np.eye(2)[labels] > 0, 0.5, -0.8)
    validation = {"dad": {"recall": 1.0, "faces": 2, "true_accepts": 2}, "leo": {"recall": 1.0, "faces": 2, "true_accepts": 2}}
    assert member_warnings(["dad", "leo"], {"dad": 6, "leo": 6}, validation, loo, labels) == []


def test_few_faces_low_recall_and_look_alikes_each_say_what_to_add():
    labels = np.asarray([0, 0, 0, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2])
    loo = np.where(np.eye(3)[labels] > 0, 0.5, -0.8)
    loo[3, 2] = loo[4, 2] = 0.9  # two of leo's six faces are more like his brother max
    validation = {"leo": {"recall": 0.5, "faces": 4, "true_accepts": 2}}
    warnings = member_warnings(["dad", "leo", "max"], {"dad": 3, "leo": 6, "max": 6}, validation, loo, labels)
    assert warnings == [
        "dad: only 3 usable faces; add at least 2 more solo photos (different ages, angles and light) so strangers "
        "can be told apart",
        "leo: recognised in only 2 of 4 held-out photos; add photos like those the family takes (group photos, "
        "side views, as a child and now)",
        "leo: 2 of 6 faces look more like max than like leo's other photos; add clear solo photos of both, from the "
        "same years",
    ]
