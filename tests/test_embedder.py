"""dlib's face-embedding network run by torch gives dlib's own numbers."""

from __future__ import annotations

import dlib
import numpy as np
import pytest
import torch
from PIL import Image

from inference.registry import ModelChoice, build_detector
from inference.settings import Settings
from inference.models.dlib_files import EMBEDDING_FILE, model_path
from inference.models.dlib_resnet_torch import DlibFaceNet, DlibFormatError, _parse
from inference.models.dlib_embedder import DlibEmbedder


def test_torch_network_matches_dlib_on_real_faces(data):
    embedder = DlibEmbedder()
    embedder.load()
    detector = build_detector(ModelChoice("hog"), Settings(detect_size=1600, detect_max_upscale=1.5))
    chips = []
    for name in ("bbt3.jpg", "bbt4.jpg"):
        pixels = np.asarray(Image.open(data / "family-dev/photos" / name).convert("RGB"))
        chips += [embedder._chip(pixels, d.box) for d in detector.detect(pixels)]
    assert len(chips) >= 10
    reference = np.array(dlib.face_recognition_model_v1(str(model_path(EMBEDDING_FILE))).compute_face_descriptor(chips))
    with torch.inference_mode():
        ours = embedder._net(torch.from_numpy(np.stack(chips))).numpy()
    assert ours.shape == (len(chips), 128)
    assert np.abs(ours - reference).max() < 1e-4


def test_parser_refuses_other_files(tmp_path):
    with pytest.raises(DlibFormatError):
        _parse(b"not a dlib network at all")
    path = tmp_path / "x.dat"
    path.write_bytes(b"\x00" * 100)
    with pytest.raises(DlibFormatError):
        DlibFaceNet.from_dat(path)
