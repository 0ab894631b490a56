"""Threshold calibration and the head's training."""

import numpy as np
import torch

from pathlib import Path

from training.calibrate import calibrate, calibrate_member, logit_threshold, platt_slope
from training.dataset import FaceDataset, filter_outliers
from training.train_head import balanced_weights, loo_raw_logits, new_head, probabilities, raw_logits, train_head

# SFace's scale: one person's faces above cosine 0.363, unrelated faces under 0.2.
SCALE = {"match": 0.363, "unrelated": 0.2}


def _unit(x: np.ndarray) -> np.ndarray:
    return (x / np.linalg.norm(x, axis=-1, keepdims=True)).astype(np.float32)


def _person(rng, centre: np.ndarray, n: int, similarity: float) -> np.ndarray:
    """``n`` unit faces whose cosine with ``centre`` is about ``similarity``."""
    noise = _unit(rng.normal(size=(n, len(centre))))
    noise -= (noise @ centre)[:, None] * centre  # orthogonal to the centre
    noise = _unit(noise)
    return _unit(similarity * centre + np.sqrt(1 - similarity**2) * noise)


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


def _family(rng, members: int = 3, faces: int = 6, dim: int = 128):
    centres = _unit(rng.normal(size=(members, dim)))
    embeddings = np.concatenate([_person(rng, c, faces, 0.8) for c in centres])
    return centres, embeddings, np.repeat(np.arange(members), faces)


def test_head_separates_members_and_strangers_and_every_threshold_is_one_half():
    rng = np.random.default_rng(3)
    centres, embeddings, labels = _family(rng)
    head = new_head(embeddings, labels, 3, **SCALE)
    losses = train_head(head)
    assert losses[-1] < losses[0]
    calibrations = calibrate(head, loo_raw_logits(head), labels, np.zeros((0, 3)), target_far=0.01)
    assert all(c.false_accept_rate == 0.0 for c in calibrations)
    # Scored as the pipeline scores: the calibrated output puts each member's threshold at 0.5.
    members = probabilities(head, np.concatenate([_person(rng, c, 4, 0.8) for c in centres]))
    assert (members.argmax(axis=1) == np.repeat(np.arange(3), 4)).all()
    assert (members.max(axis=1) >= 0.5).all()
    strangers = probabilities(head, _unit(rng.normal(size=(20, 128))))
    assert (strangers < 0.5).all()
    raw = raw_logits(head, embeddings)
    thresholds = np.asarray([c.threshold for c in calibrations])
    assert ((probabilities(head, embeddings) >= 0.5) == (raw >= thresholds)).all()


def test_a_member_who_grew_up_is_two_clusters_and_both_are_recognised():
    """Baby photos and adult photos of one son: a face like either is him, a face between is not."""
    rng = np.random.default_rng(5)
    baby, adult, sister = _unit(rng.normal(size=(3, 128)))
    embeddings = np.concatenate([_person(rng, baby, 3, 0.8), _person(rng, adult, 3, 0.8), _person(rng, sister, 6, 0.8)])
    labels = np.asarray([0] * 6 + [1] * 6)
    head = new_head(embeddings, labels, 2, **SCALE)
    train_head(head)
    calibrate(head, loo_raw_logits(head), labels, np.zeros((0, 2)), target_far=0.01)
    p = probabilities(head, np.concatenate([_person(rng, baby, 2, 0.8), _person(rng, adult, 2, 0.8)]))
    assert (p[:, 0] >= 0.5).all() and (p[:, 1] < 0.5).all()


def test_outlier_filter_keeps_baby_photos_and_drops_a_face_that_is_someone_else():
    rng = np.random.default_rng(4)
    baby, adult, sister, cousin = _unit(rng.normal(size=(4, 128)))
    son = np.concatenate([_person(rng, baby, 3, 0.8), _person(rng, adult, 3, 0.8)])
    daughter = _person(rng, sister, 6, 0.8)
    daughter[2] = _person(rng, adult, 1, 0.8)[0]  # her photo whose largest face is her brother
    daughter[4] = _person(rng, cousin, 1, 0.8)[0]  # a face like nobody in the family
    embeddings = np.concatenate([son, daughter])
    labels = np.repeat([0, 1], 6)
    dataset = FaceDataset(["son", "daughter"], embeddings, labels, [Path(f"{i}.jpg") for i in range(12)])
    kept = filter_outliers(dataset, **SCALE)
    assert {p.name: why for p, why in kept.dropped}.keys() == {"8.jpg", "10.jpg"}
    reasons = dict((p.name, why) for p, why in kept.dropped)
    assert "looks like son" in reasons["8.jpg"]
    assert "looks like nobody" in reasons["10.jpg"]
    assert kept.counts() == {"son": 6, "daughter": 4}  # all three baby photos stay


def test_logit_threshold_rejects_the_impostor_it_must_and_keeps_the_floor():
    cal = logit_threshold(np.array([3.0, 4.0]), np.array([-2.0, 1.5, 0.2]), target_far=0.01, floor=0.0)
    assert cal.threshold > 1.5 and cal.false_accept_rate == 0.0
    assert logit_threshold(np.array([3.0]), np.array([-5.0]), target_far=0.01, floor=1.0).threshold == 1.0


def test_platt_slope_makes_probabilities_match_frequencies():
    """Where 70% of faces at a margin are the member, the calibrated probability there is about 70%."""
    rng = np.random.default_rng(6)
    margins = rng.uniform(-6, 6, 20000)
    truth = rng.uniform(size=margins.shape) < 1 / (1 + np.exp(-0.8 * margins))
    alpha = platt_slope(margins, truth)
    assert abs(alpha - 0.8) < 0.05


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

