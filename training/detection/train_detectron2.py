"""Training the Detectron2 backend (the original project's own trainer), when Detectron2 is installed.

Same data, split and output format as the torchvision backend: ``detector.json`` with
``backend: detectron2`` beside a state dict (loaded with ``weights_only=True``).
"""

from __future__ import annotations

import json
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

import torch

from inference.models.detectron2_detector import build_cfg, require_detectron2
from inference.progress import OnProgress, Progress
from training.detection.convert import Coco
from training.detection.detector_export import DetectorTraining, DetectorTrainReport, export_detector


def train_detectron2(source: Path, train: Coco, out_dir: Path, config: DetectorTraining, on_progress: OnProgress) -> DetectorTrainReport:
    """Detectron2's DefaultTrainer on the train split (``config``: a ``DetectorTraining``)."""
    require_detectron2()
    from detectron2.data.datasets import register_coco_instances
    from detectron2.engine import DefaultTrainer, HookBase


    started = time.perf_counter()
    iterations = config.max_iterations or max(1, config.epochs * len(train["images"]) // config.batch_size)
    with tempfile.TemporaryDirectory() as tmp:
        json_path = Path(tmp) / "train.json"
        json_path.write_text(json.dumps(train), encoding="utf-8")
        name = f"familyphoto_faces_{abs(hash(str(json_path)))}"
        register_coco_instances(name, {}, str(json_path), "/")  # file_name is absolute
        cfg = build_cfg(config.min_size, config.max_size, device=config.device)
        cfg.DATASETS.TRAIN, cfg.DATASETS.TEST = (name,), ()
        cfg.DATALOADER.NUM_WORKERS = 0
        cfg.SOLVER.IMS_PER_BATCH = config.batch_size
        cfg.SOLVER.BASE_LR = config.lr
        cfg.SOLVER.MAX_ITER = iterations
        cfg.SOLVER.STEPS = ()
        cfg.SOLVER.WARMUP_ITERS = min(config.warmup_iterations, iterations)
        cfg.SOLVER.CHECKPOINT_PERIOD = 10**9
        cfg.OUTPUT_DIR = tmp
        losses: list[float] = []

        class _Report(HookBase):
            def after_step(self) -> None:
                latest = self.trainer.storage.latest()
                if "total_loss" in latest:
                    losses.append(float(latest["total_loss"][0]))
                on_progress(Progress("detector", self.trainer.iter + 1, iterations))

        trainer = DefaultTrainer(cfg)
        trainer.register_hooks([_Report()])
        trainer.resume_or_load(resume=False)
        trainer.train()
        state = {k: v.cpu() for k, v in trainer.model.state_dict().items()}
    seconds = time.perf_counter() - started
    training = {
        "dataset": str(source), "train_images": len(train["images"]), "train_boxes": len(train["annotations"]),
        "iterations": iterations, "seconds": round(seconds, 1), "device": config.device,
        "pretrained_backbone": False, "config": asdict(config),
        "loss": {"first": round(losses[0], 4), "last_20_mean": round(sum(losses[-20:]) / len(losses[-20:]), 4)} if losses else {},
    }
    manifest = export_detector(out_dir, state, config, training)
    if torch.cuda.is_available():
        torch.cuda.empty_cache()
    return DetectorTrainReport(manifest, iterations, losses, seconds)
