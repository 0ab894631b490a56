"""Detectron2's Faster R-CNN R50-FPN (the original project's own config) behind the detector interface.

Optional: Detectron2 is not on PyPI. Install it with
``pip install --no-build-isolation 'git+https://github.com/facebookresearch/detectron2.git'``
(needs a C++ compiler; see docs/models.md). Its weights directory has the same
``detector.json`` as the torchvision backend, with ``backend: detectron2``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch

from inference.models.frcnn import FrcnnDetector
from inference.types import Box, Detection

CONFIG = "COCO-Detection/faster_rcnn_R_50_FPN_3x.yaml"
INSTALL = "pip install --no-build-isolation 'git+https://github.com/facebookresearch/detectron2.git'"


def detectron2_available() -> bool:
    """Whether ``import detectron2`` works here."""
    try:
        import detectron2  # noqa: F401
    except ImportError:
        return False
    return True


def require_detectron2() -> None:
    if not detectron2_available():
        raise RuntimeError(f"the detectron2 backend needs Detectron2, which is not installed; install it with: {INSTALL}")


def build_cfg(min_size: int, max_size: int, *, device: str = "cpu") -> Any:
    """The original's faster_rcnn config, one class, from scratch (no ImageNet download)."""
    require_detectron2()
    from detectron2 import model_zoo
    from detectron2.config import get_cfg

    cfg = get_cfg()
    cfg.merge_from_file(model_zoo.get_config_file(CONFIG))
    cfg.MODEL.WEIGHTS = ""
    cfg.MODEL.ROI_HEADS.NUM_CLASSES = 1
    cfg.MODEL.DEVICE = device
    # From scratch: train every stage, with batch norm that learns (FrozenBN needs a pretrained backbone).
    cfg.MODEL.BACKBONE.FREEZE_AT = 0
    cfg.MODEL.RESNETS.NORM = "BN"
    cfg.MODEL.FPN.NORM = ""
    cfg.INPUT.MIN_SIZE_TRAIN = (min_size,)
    cfg.INPUT.MAX_SIZE_TRAIN = max_size
    cfg.INPUT.MIN_SIZE_TEST = min_size
    cfg.INPUT.MAX_SIZE_TEST = max_size
    cfg.MODEL.ROI_HEADS.SCORE_THRESH_TEST = 0.05
    return cfg


class Detectron2Detector(FrcnnDetector):
    """Faster R-CNN (Detectron2) from a ``train-detector --backend detectron2`` directory."""

    name = "detectron2"
    backend = "detectron2"

    def _build(self, path: Path) -> None:
        require_detectron2()
        from detectron2.modeling import build_model

        cfg = build_cfg(self.manifest.min_size, self.manifest.max_size, device=self.device)
        model = build_model(cfg)
        model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
        self.model = model.eval()
        self._size = (self.manifest.min_size, self.manifest.max_size)

    def _detect_scaled(self, pixels: np.ndarray) -> list[Detection]:
        from detectron2.data import transforms as T

        height, width = pixels.shape[:2]
        bgr = pixels[:, :, ::-1]  # detectron2's default INPUT.FORMAT
        resized = T.ResizeShortestEdge(self._size[0], self._size[1]).get_transform(bgr).apply_image(bgr)
        image = torch.as_tensor(np.ascontiguousarray(resized).transpose(2, 0, 1)).float()
        with torch.inference_mode():
            instances = self.model([{"image": image, "height": height, "width": width}])[0]["instances"].to("cpu")
        boxes, scores = instances.pred_boxes.tensor.numpy(), instances.scores.numpy()
        return [Detection(Box(*(int(round(v)) for v in b)), float(s)) for b, s in zip(boxes, scores)]
