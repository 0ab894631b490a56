"""The ``seed`` recipe: the original project's classifier, a torchvision ResNet18 on 30x30 face crops.

The last layer has one output per member; a sigmoid per output gives independent
probabilities (multi-label, trained with ``BCEWithLogitsLoss``), so the same decision
rule as the default recipe applies. Its input is the embedder's aligned chip of each face
(112 px for sface, 150 for dlib), reduced to 30x30: no embedding network runs.

Families trained now carry per-member thresholds on the raw logits and one Platt slope in
the classifier file, and the output is ``slope * (logit - threshold)``: every member's
threshold is probability 0.5 (``inference.decision.DECISION_THRESHOLD``), like the default
recipe's. Older seed files lack them; their raw sigmoid goes to the manifest's thresholds.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
import torch
from PIL import Image

from inference.models.member_classifier import MemberClassifier

SEED_CROP_SIZE = 30
# Per-channel normalisation of the crops (ImageNet's, as the original's torchvision transforms).
_MEAN = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
_STD = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)


def build_seed_net(num_outputs: int) -> torch.nn.Module:
    """ResNet18, randomly initialised (nothing is downloaded), ``num_outputs`` outputs (one per
    member; 128 for the distilled embedding of :mod:`training.distil`)."""
    from torchvision.models import resnet18  # here: torchvision costs ~2 s to import, only this recipe needs it

    return resnet18(weights=None, num_classes=num_outputs)


class DistilledHead(torch.nn.Module):
    """ResNet18's last layer after the distillation: the distilled 512 -> 128 embedding layer,
    the embedding made unit-length, then one output per member (``out``).

    A member is then a direction in the embedder-like space and a face must point near it:
    a bounded region, where a linear layer on the 512 raw features accepted strangers far
    away from every member (jurassic6: 36 of 132 stranger photos reported someone, against 4;
    docs/models.md).
    """

    def __init__(self, embedding: torch.nn.Linear, num_members: int) -> None:
        super().__init__()
        self.embedding = embedding
        self.out = torch.nn.Linear(embedding.out_features, num_members)

    @property
    def in_features(self) -> int:
        return self.embedding.in_features

    @property
    def out_features(self) -> int:
        return self.out.out_features

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        return torch.nn.functional.normalize(self.embedding(x), dim=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(self.embed(x))


def build_distilled_seed_net(num_members: int, embedding_dim: int = 128) -> torch.nn.Module:
    """ResNet18 with a :class:`DistilledHead` (weights to be loaded)."""
    net = build_seed_net(embedding_dim)
    net.fc = DistilledHead(net.fc, num_members)
    return net


def raw_logits(net: torch.nn.Module, crops: np.ndarray, *, mirror: bool) -> torch.Tensor:
    """N x M logits before the calibration; ``mirror``: the mean of the crop's and its mirror
    image's (as SFace embeds a face and its mirror)."""
    x = crops_to_tensor(crops)
    logits = net(x)
    return (logits + net(x.flip(3))) / 2 if mirror else logits


def crops_from_chips(chips: np.ndarray, size: int = SEED_CROP_SIZE) -> np.ndarray:
    """N x H x W x 3 uint8 aligned chips -> N x size x size x 3 uint8 crops."""
    if len(chips) == 0:
        return np.zeros((0, size, size, 3), dtype=np.uint8)
    return np.stack(
        [np.asarray(Image.fromarray(c).resize((size, size), Image.Resampling.BILINEAR)) for c in chips]
    )


def crops_to_tensor(crops: np.ndarray) -> torch.Tensor:
    """N x S x S x 3 uint8 -> normalised N x 3 x S x S float tensor."""
    x = torch.from_numpy(np.ascontiguousarray(crops)).permute(0, 3, 1, 2).float() / 255.0
    return (x - _MEAN) / _STD


def save_seed(
    net: torch.nn.Module, num_members: int, crop_size: int = SEED_CROP_SIZE, *,
    thresholds: np.ndarray | None = None, slope: float | None = None, mirror: bool = False,
) -> bytes:
    """Serialise the net (state dict only) for the family's classifier file, with the
    calibration (per-member thresholds on the raw logits, the Platt slope) when given."""
    payload: dict = {"num_members": num_members, "crop_size": crop_size, "state_dict": net.state_dict(), "mirror": mirror}
    if isinstance(net.fc, DistilledHead):
        payload["head"] = "distilled"
        payload["embedding_dim"] = int(net.fc.embedding.out_features)
    if thresholds is not None:
        payload["logit_thresholds"] = torch.as_tensor(np.asarray(thresholds, dtype=np.float32))
        payload["platt_slope"] = float(1.0 if slope is None else slope)
    buffer = io.BytesIO()
    torch.save(payload, buffer)
    return buffer.getvalue()


@dataclass
class SeedNet:
    """A loaded seed classifier file: the net, its crop size and its calibration."""

    net: torch.nn.Module
    crop_size: int
    thresholds: torch.Tensor  # per member, on the raw logits (zeros in files from before the calibration)
    slope: float  # the Platt slope (1 in older files)
    calibrated: bool  # False: an older file, whose thresholds are the manifest's probabilities
    mirror: bool = False  # logits averaged over the crop and its mirror image (files from the distillation on)

    def logits(self, crops: np.ndarray) -> torch.Tensor:
        """Calibrated logits: 0 is each member's threshold (for an older file, the raw logits)."""
        return self.slope * (raw_logits(self.net, crops, mirror=self.mirror) - self.thresholds)


def load_seed(data: bytes) -> SeedNet:
    """Inverse of :func:`save_seed` (``weights_only``: tensors and plain values only)."""
    payload = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    num_members = int(payload["num_members"])
    if payload.get("head") == "distilled":
        net = build_distilled_seed_net(num_members, int(payload["embedding_dim"]))
    else:
        net = build_seed_net(num_members)
    net.load_state_dict(payload["state_dict"])
    net.eval()
    calibrated = "logit_thresholds" in payload
    thresholds = payload["logit_thresholds"].float() if calibrated else torch.zeros(num_members)
    return SeedNet(
        net, int(payload["crop_size"]), thresholds, float(payload.get("platt_slope", 1.0)), calibrated,
        bool(payload.get("mirror", False)),
    )


class SeedClassifier(MemberClassifier):
    """Per-member probabilities from aligned face chips (the ``seed`` recipe)."""

    name = "seed"
    features = "chip"

    def _load(self) -> None:
        self.seed = load_seed(self.path.read_bytes())
        self._check_outputs(self.seed.net.fc.out_features)

    def _probabilities(self, chips: np.ndarray) -> np.ndarray:
        with torch.inference_mode():
            logits = self.seed.logits(crops_from_chips(chips, self.seed.crop_size))
        return torch.sigmoid(logits).numpy()

    def describe(self) -> dict:
        return {"name": self.name, "model": "torchvision resnet18", "input": f"{SEED_CROP_SIZE}x{SEED_CROP_SIZE} aligned face crop"}
