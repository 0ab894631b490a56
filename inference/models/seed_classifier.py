"""The ``seed`` recipe: the original project's classifier, a torchvision ResNet18 on 30x30 face crops.

The last layer has one output per member; a sigmoid per output gives independent
probabilities (multi-label, trained with ``BCEWithLogitsLoss``), so the same decision
rule and per-member thresholds as the default recipe apply. Its input is the 5-point
aligned dlib chip of each face, reduced to 30x30: no embedding network runs.
"""

from __future__ import annotations

import io

import numpy as np
import torch
from PIL import Image

from inference.models.member_classifier import MemberClassifier

SEED_CROP_SIZE = 30
# Per-channel normalisation of the crops (ImageNet's, as the original's torchvision transforms).
_MEAN = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
_STD = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)


def build_seed_net(num_members: int) -> torch.nn.Module:
    """ResNet18, randomly initialised (nothing is downloaded), one output per member."""
    from torchvision.models import resnet18  # here: torchvision costs ~2 s to import, only this recipe needs it

    return resnet18(weights=None, num_classes=num_members)


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


def save_seed(net: torch.nn.Module, num_members: int, crop_size: int = SEED_CROP_SIZE) -> bytes:
    """Serialise the net (state dict only) for the family's classifier file."""
    buffer = io.BytesIO()
    torch.save({"num_members": num_members, "crop_size": crop_size, "state_dict": net.state_dict()}, buffer)
    return buffer.getvalue()


def load_seed(data: bytes) -> tuple[torch.nn.Module, int]:
    """Inverse of :func:`save_seed` (``weights_only``: tensors and plain values only): (net, crop size)."""
    payload = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    net = build_seed_net(int(payload["num_members"]))
    net.load_state_dict(payload["state_dict"])
    net.eval()
    return net, int(payload["crop_size"])


class SeedClassifier(MemberClassifier):
    """Per-member probabilities from aligned face chips (the ``seed`` recipe)."""

    name = "seed"
    features = "chip"

    def _load(self) -> None:
        self.net, self.crop_size = load_seed(self.path.read_bytes())
        self._check_outputs(self.net.fc.out_features)

    def _probabilities(self, chips: np.ndarray) -> np.ndarray:
        with torch.inference_mode():
            logits = self.net(crops_to_tensor(crops_from_chips(chips, self.crop_size)))
        return torch.sigmoid(logits).numpy()

    def describe(self) -> dict:
        return {"name": self.name, "model": "torchvision resnet18", "input": f"{SEED_CROP_SIZE}x{SEED_CROP_SIZE} aligned face crop"}
