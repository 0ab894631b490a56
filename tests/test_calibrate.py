"""Threshold calibration and the head's training."""

import numpy as np
import torch

from training.calibrate import calibrate_member
from training.train_head import balanced_weights, loo_probabilities, train_head


def test_threshold_meets_the_false_accept_target():
    rng = np.random.default_rng(1)
    impostor = rng.uniform(0.0, 0.9, size=1000)
    genuine = rng.uniform(0.7, 1.0, size=200)
    cal = calibrate_member(genuine, impostor, target_far=0.01, floor=0.0)
    assert cal.false_accept_rate <= 0.01
    assert (impostor >= cal.threshold).mean() <= 0.01
    # and it is the lowest such threshold: one notch lower accepts too many
    assert (impostor >= np.sort(impostor)[::-1][10]).mean() > 0.01
    assert cal.threshold > np.sort(impostor)[::-1][10]


def test_few_impostors_means_above_all_of_them():
    cal = calibrate_member(np.array([0.9, 0.95]), np.array([0.3, 0.62, 0.5]), target_far=0.01, floor=0.0)
    assert cal.threshold > 0.62
    assert cal.false_accept_rate == 0.0
    assert cal.false_reject_rate == 0.0


def test_floor_wins_when_impostors_are_far():
    cal = calibrate_member(np.array([0.9]), np.array([0.1, 0.2]), target_far=0.01, floor=0.7)
    assert cal.threshold == 0.7


def test_stricter_target_never_lowers_the_threshold():
    rng = np.random.default_rng(2)
    impostor, genuine = rng.uniform(0, 1, 300), rng.uniform(0.5, 1, 50)
    loose = calibrate_member(genuine, impostor, target_far=0.1, floor=0.0)
    strict = calibrate_member(genuine, impostor, target_far=0.01, floor=0.0)
    assert strict.threshold >= loose.threshold
    assert strict.false_accept_rate <= loose.false_accept_rate


def test_balanced_weights_give_each_member_equal_total():
    targets = torch.tensor([[1.0, 0.0]] * 8 + [[0.0, 1.0]] * 2)
    w = balanced_weights(targets)
    for m in range(2):
        pos = w[:, m][targets[:, m] > 0].sum()
        neg = w[:, m][targets[:, m] == 0].sum()
        assert torch.isclose(pos, neg)


def test_head_separates_members_and_strangers_on_synthetic_embeddings():
    rng = np.random.default_rng(3)
    centres = rng.normal(size=(3, 128))
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    labels = np.repeat(np.arange(3), 6)
    embeddings = centres[labels] + rng.normal(scale=0.02, size=(18, 128))
    head, losses = train_head(embeddings.astype(np.float32), labels, 3)
    assert losses[-1] < losses[0]
    loo = loo_probabilities(head)
    assert (loo.argmax(axis=1) == labels).all()
    assert (loo[np.arange(18), labels] > 0.5).all()
    stranger = rng.normal(size=(1, 128))
    stranger /= np.linalg.norm(stranger)
    with torch.inference_mode():
        p = torch.sigmoid(head(torch.from_numpy(stranger.astype(np.float32)))).numpy()
    assert (p < 0.5).all()


def test_outlier_filter_drops_a_face_that_is_someone_else():
    from pathlib import Path

    from training.dataset import FaceDataset, filter_outliers

    rng = np.random.default_rng(4)
    centres = rng.normal(size=(2, 128))
    centres *= 0.6 / np.linalg.norm(centres[0] - centres[1])  # members 0.6 apart, like two people in dlib's metric
    labels = np.repeat([0, 1], 5)
    embeddings = centres[labels] + rng.normal(scale=0.01, size=(10, 128))
    embeddings[2] = centres[1] + rng.normal(scale=0.01, size=128)  # member 0's photo whose largest face is member 1
    dataset = FaceDataset(["a", "b"], embeddings.astype(np.float32), labels, [Path(f"{i}.jpg") for i in range(10)])
    kept = filter_outliers(dataset, max_distance=0.6)
    assert [p.name for p, _ in kept.dropped] == ["2.jpg"]
    assert "does not match" in kept.dropped[0][1]
    assert kept.counts() == {"a": 4, "b": 5}


def test_calibration_decides_on_the_numbers_predict_decides_on():
    """A threshold is set on the full-precision probabilities the pipeline compares, never on
    JSON's rounded ones: an impostor at 0.91234 (shown as 0.9123) must stay rejected."""
    from pathlib import Path

    from inference.decision import assign_members
    from inference.serialize import outcome_from_dict, outcome_to_dict
    from inference.types import Box, Face, PhotoResult
    from training.evaluate import labelled_outcome
    from training.recalibrate import member_scores

    members = ["dad", "leo"]
    p = lambda x: float(np.float32(x))  # noqa: E731 - the pipeline's probabilities are float32
    impostor = PhotoResult(100, 100, [Face(Box(0, 0, 50, 50), 1.0, probabilities={"dad": p(0.05), "leo": p(0.91234)})])
    genuine = PhotoResult(100, 100, [Face(Box(0, 0, 50, 50), 1.0, probabilities={"dad": p(0.02), "leo": p(0.99)})])
    thresholds = {}
    for name, convert in (("typed", lambda r: r), ("via JSON", lambda r: outcome_from_dict(outcome_to_dict(r)))):
        outcomes = [
            labelled_outcome(Path("dad.jpg"), frozenset({"dad"}), convert(impostor), members),
            labelled_outcome(Path("leo.jpg"), frozenset({"leo"}), convert(genuine), members),
        ]
        genuine_scores, impostor_scores = member_scores(outcomes, members)["leo"]
        calibration = calibrate_member(genuine_scores, impostor_scores, target_far=0.0, floor=0.5)
        assert calibration.false_accept_rate == 0.0  # what calibration believes, either way
        thresholds[name] = np.asarray([1.0, calibration.threshold], dtype=np.float32)
    predict = impostor.probability_matrix(members)
    assert assign_members(predict, thresholds["typed"]) == [None]  # the impostor stays a stranger
    # Calibrated on the rounded JSON numbers, the same impostor would be let in at predict time.
    assert assign_members(predict, thresholds["via JSON"]) == [1]

