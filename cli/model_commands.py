"""CLI commands for the face detectors: convert-detections, train-detector, evaluate-detector."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer

from cli.common import _fail, err, progress_bars

from training.detection.convert import DEFAULT_VAL_SHARE

ImagesOption = Annotated[
    Optional[Path],
    typer.Option(
        "--images",
        help="Folder a COCO json's relative file_names are in (Detectron2's image_root; CVAT, Label Studio exports). "
        "Default: the json's folder, then images/ beside it.",
    ),
]
ValShareOption = Annotated[
    float, typer.Option(min=0.0, max=0.9, help="Share of photos in the validation split (by a hash of the file name).")
]


def convert_detections(
    source: Annotated[Path, typer.Argument(help="Pascal VOC folder (annotations/ + images/), dlib imglab .xml, a folder of training.xml/testing.xml, or a COCO .json.")],
    out: Annotated[Path, typer.Argument(help="COCO .json to write (images are referenced by path, never copied).")],
    val_share: ValShareOption = DEFAULT_VAL_SHARE,
    images: ImagesOption = None,
) -> None:
    """Face boxes to COCO (every class is "face"), with a deterministic train/val split."""
    from training.detection.convert import convert, split_subset, write_coco

    try:
        coco = convert(source, val_share=val_share, images=images)
    except (ValueError, OSError) as exc:
        _fail(str(exc))
    write_coco(coco, out)
    for split in ("train", "val"):
        part = split_subset(coco, split)
        err.print(f"{split}: {len(part['images'])} photos, {len(part['annotations'])} faces", highlight=False)
    err.print(f"Wrote {out}", highlight=False)


def train_detector(
    dataset: Annotated[Path, typer.Argument(help="COCO .json (or a VOC folder / imglab XML, converted on the fly).")],
    weights: Annotated[Path, typer.Option("--weights", "-w", help="Directory to write the detector to.")],
    backend: Annotated[str, typer.Option(help="torchvision (always available) or detectron2 (if installed).")] = "torchvision",
    epochs: Annotated[int, typer.Option(min=1, help="Passes over the training split.")] = 1,
    device: Annotated[str, typer.Option(help="cpu or cuda.")] = "cpu",
    max_iterations: Annotated[Optional[int], typer.Option(min=1, help="Stop after this many iterations.")] = None,
    max_minutes: Annotated[Optional[float], typer.Option(min=0.1, help="Stop after this much training time.")] = None,
    batch_size: Annotated[int, typer.Option(min=1)] = 2,
    lr: Annotated[float, typer.Option(help="SGD learning rate (after a linear warm-up).")] = 0.01,
    min_size: Annotated[int, typer.Option(help="Shorter side the photos are resized to.")] = 320,
    max_size: Annotated[int, typer.Option(help="Longest side allowed after resizing.")] = 512,
    val_share: ValShareOption = DEFAULT_VAL_SHARE,
    evaluate: Annotated[bool, typer.Option(help="Evaluate on the validation split afterwards (saved in detector.json).")] = True,
    images: ImagesOption = None,
) -> None:
    """Train a one-class (face) Faster R-CNN R50-FPN and write it as a detector directory (detector.json)."""
    from training.detection.train_detector import DetectorTraining
    from training.detection.train_detector import train_detector as run

    if backend not in ("torchvision", "detectron2"):
        _fail(f"--backend must be torchvision or detectron2, not {backend!r}")
    if device == "cuda":
        import torch

        if not torch.cuda.is_available():
            _fail("--device cuda: no CUDA GPU is available here")
    config = DetectorTraining(
        backend=backend, epochs=epochs, max_iterations=max_iterations, max_minutes=max_minutes, batch_size=batch_size,
        lr=lr, min_size=min_size, max_size=max_size, device=device, val_share=val_share,  # type: ignore[arg-type]
    )
    with progress_bars() as on_progress:
        try:
            report = run(dataset, weights, config, on_progress, images=images)
        except (ValueError, RuntimeError, OSError) as exc:
            _fail(str(exc))
    loss = report.manifest.training.get("loss", {})
    err.print(
        f"{report.iterations} iterations in {report.seconds:.0f} s; loss {loss.get('first')} -> {loss.get('last_20_mean')} "
        f"(mean of the last 20). Wrote {weights}.", highlight=False,
    )
    if evaluate:
        _evaluate(dataset, weights, None, "val", val_share, None, images, save=True)


def evaluate_detector(
    dataset: Annotated[Path, typer.Argument(help="COCO .json (or a VOC folder / imglab XML).")],
    weights: Annotated[Optional[Path], typer.Option("--weights", "-w", help="A trained detector directory (frcnn/detectron2).")] = None,
    detector: Annotated[Optional[str], typer.Option(help="yunet, hog, cnn, frcnn or detectron2 (default: the weights' backend, else $FAMILYPHOTO_DETECTOR, else yunet).")] = None,
    split: Annotated[str, typer.Option(help="val, train or all.")] = "val",
    val_share: ValShareOption = DEFAULT_VAL_SHARE,
    max_images: Annotated[Optional[int], typer.Option(min=1, help="Only the first N photos of the split.")] = None,
    images: ImagesOption = None,
) -> None:
    """COCO AP, AP50 and recall (IoU 0.5) of a detector on a dataset's validation split."""
    _evaluate(dataset, weights, detector, split, val_share, max_images, images, save=False)


def _evaluate(
    dataset: Path, weights: Path | None, detector: str | None, split: str, val_share: float, max_images: int | None,
    images: Path | None, *, save: bool,
) -> None:
    from inference.models.frcnn import DetectorManifest
    from inference.registry import TRAINED_BACKENDS, build_detector, choose_models
    from inference.settings import get_settings
    from training.detection.convert import convert, split_subset
    from training.detection.evaluate import evaluate_detector as run

    manifest = None
    if weights is not None:
        try:
            manifest = DetectorManifest.read(weights)
        except (FileNotFoundError, ValueError) as exc:
            _fail(str(exc))
    try:
        coco = split_subset(
            convert(dataset, val_share=val_share, images=images), None if split == "all" else split, val_share=val_share
        )
        settings = get_settings()
        # The detector named here, else the one the weights hold, else the settings' (the registry's rule).
        choice = choose_models(
            settings, detector=detector or (TRAINED_BACKENDS[manifest.backend] if manifest else None), detector_weights=weights
        )
        name = choice.detector
        model = build_detector(choice, settings)
    except (ValueError, OSError) as exc:
        _fail(str(exc))
    if max_images:
        coco = split_subset({**coco, "images": coco["images"][:max_images]}, None)
        ids = {im["id"] for im in coco["images"]}
        coco["annotations"] = [a for a in coco["annotations"] if a["image_id"] in ids]
    with progress_bars({"evaluate": f"Evaluating {name}"}) as on_progress:
        figures = run(model, coco, on_progress)
    figures.update(dataset=str(dataset), split=split)
    print(json.dumps({k: round(v, 4) if isinstance(v, float) else v for k, v in figures.items()}))
    if save and manifest is not None and weights is not None:
        manifest = DetectorManifest.read(weights)
        manifest.evaluation = figures
        manifest.write(weights)


def register(app: typer.Typer) -> None:
    """Add the detector commands to the main CLI."""
    app.command("convert-detections")(convert_detections)
    app.command("train-detector")(train_detector)
    app.command("evaluate-detector")(evaluate_detector)
