"""The family decision: one-to-one, thresholds per member, strangers left alone."""

import numpy as np

from inference.decision import assign_members


def test_each_member_at_most_once_and_the_likeliest_face_wins():
    probs = np.array([[0.90, 0.05], [0.99, 0.05], [0.95, 0.05]])
    assert assign_members(probs, np.array([0.5, 0.5])) == [None, 0, None]


def test_accepts_as_many_consistent_faces_as_possible():
    probs = np.array([[0.95, 0.80], [0.90, 0.10]])
    # Face 1 can only be member 0, face 0 can be either: both get a member.
    assert assign_members(probs, np.array([0.5, 0.5])) == [1, 0]


def test_two_faces_same_member_only_one_accepted():
    probs = np.array([[0.97, 0.01], [0.93, 0.02]])
    assert assign_members(probs, np.array([0.5, 0.5])) == [0, None]


def test_threshold_is_per_member_and_rejects_strangers():
    probs = np.array([[0.7, 0.2], [0.2, 0.7], [0.3, 0.3]])
    assert assign_members(probs, np.array([0.8, 0.6])) == [None, 1, None]


def test_probability_exactly_at_threshold_is_accepted():
    assert assign_members(np.array([[0.6]]), np.array([0.6])) == [0]


def test_no_faces_or_no_members():
    assert assign_members(np.zeros((0, 3)), np.full(3, 0.5)) == []
    assert assign_members(np.zeros((2, 0)), np.zeros(0)) == [None, None]


def test_more_faces_than_members():
    rng = np.random.default_rng(0)
    probs = rng.uniform(0.6, 1.0, size=(7, 3))
    result = assign_members(probs, np.full(3, 0.5))
    accepted = [m for m in result if m is not None]
    assert sorted(accepted) == [0, 1, 2]  # all members taken once, four strangers
    assert result.count(None) == 4
