"""COCO face boxes as a torch dataset for Faster R-CNN training."""

from __future__ import annotations

import random

import numpy as np
import torch
from PIL import Image

from inference.models.frcnn import pixels_to_tensor
from training.detection.convert import Coco


def load_rgb(path: str) -> np.ndarray:
    """An image's stored pixels as H x W x 3 uint8 RGB (no EXIF rotation: boxes refer to stored pixels)."""
    with Image.open(path) as im:
        return np.asarray(im.convert("RGB"))


class CocoFaces(torch.utils.data.Dataset):
    """(image tensor, target) pairs in torchvision's detection format; every box is class 1 (face).

    Images are reduced so their long side is at most ``max_side`` (the model resizes them
    again; this only keeps decoding and memory small). ``flip``: random horizontal flips.
    """

    def __init__(self, coco: Coco, *, max_side: int, flip: bool = False, seed: int = 0) -> None:
        self.images = sorted(coco["images"], key=lambda im: im["id"])
        self.boxes: dict[int, list[list[float]]] = {im["id"]: [] for im in self.images}
        for a in coco["annotations"]:
            if a["image_id"] in self.boxes and not a.get("iscrowd", 0):
                x, y, w, h = a["bbox"]
                self.boxes[a["image_id"]].append([x, y, x + w, y + h])
        self.max_side = max_side
        self.flip = flip
        self.rng = random.Random(seed)

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        info = self.images[index]
        pixels = load_rgb(info["file_name"])
        height, width = pixels.shape[:2]
        factor = min(1.0, self.max_side / max(height, width))
        if factor < 1.0:
            size = (max(1, round(width * factor)), max(1, round(height * factor)))
            pixels = np.asarray(Image.fromarray(pixels).resize(size, Image.Resampling.BILINEAR))
        boxes = torch.tensor(self.boxes[info["id"]], dtype=torch.float32).reshape(-1, 4) * factor
        image = pixels_to_tensor(pixels)
        if self.flip and self.rng.random() < 0.5:
            image = image.flip(2)
            w = image.shape[2]
            boxes = torch.stack([w - boxes[:, 2], boxes[:, 1], w - boxes[:, 0], boxes[:, 3]], dim=1)
        return image, {"boxes": boxes, "labels": torch.ones(len(boxes), dtype=torch.int64)}


def collate(batch: list) -> tuple[list, list]:
    return tuple(zip(*batch))  # type: ignore[return-value]
