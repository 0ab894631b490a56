"""``familyphoto evaluate-detector``: COCO AP, AP50 and recall of any face detector on a validation split.

Every detector (hog, cnn, frcnn, detectron2) runs through the same :class:`FaceDetector`
interface, with the service's settings, on the same photos, so the figures compare.
"""

from __future__ import annotations

import contextlib
import io
import time
from typing import Any

from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

from inference.models.detector import FaceDetector
from inference.types import Box
from inference.progress import OnProgress, Progress, no_progress
from training.detection.convert import Coco
from training.detection.data import load_rgb


def detect_all(detector: FaceDetector, coco: Coco, on_progress: OnProgress = no_progress) -> tuple[list[dict], float]:
    """COCO-format results of ``detector`` on every image of ``coco``, and the mean seconds per image."""
    results: list[dict[str, Any]] = []
    detector.load()
    started = time.perf_counter()
    on_progress(Progress("evaluate", 0, len(coco["images"])))
    for done, image in enumerate(coco["images"], start=1):
        for d in detector.detect(load_rgb(image["file_name"])):
            b = d.box
            results.append({
                "image_id": image["id"], "category_id": 1, "score": float(d.score),
                "bbox": [float(b.x1), float(b.y1), float(b.width), float(b.height)],
            })
        on_progress(Progress("evaluate", done, len(coco["images"])))
    return results, (time.perf_counter() - started) / max(1, len(coco["images"]))


def coco_metrics(coco: Coco, results: list[dict]) -> dict[str, float]:
    """AP (IoU .50:.95), AP50, and recall at IoU 0.5 (up to 100 detections per image), via pycocotools."""
    if not results or not coco["annotations"]:
        return {"AP": 0.0, "AP50": 0.0, "recall": 0.0, "AR100": 0.0}
    with contextlib.redirect_stdout(io.StringIO()):
        gt = COCO()
        gt.dataset = {"images": coco["images"], "annotations": coco["annotations"], "categories": coco["categories"]}
        gt.createIndex()
        dt = gt.loadRes(results)
        ev = COCOeval(gt, dt, "bbox")
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    recall = ev.eval["recall"]  # T x K x A x M: IoU thresholds, categories, areas, max detections
    at_50 = recall[0, 0, 0, -1]  # IoU 0.5, face, all areas, 100 detections
    return {
        "AP": float(max(ev.stats[0], 0.0)),
        "AP50": float(max(ev.stats[1], 0.0)),
        "recall": float(max(at_50, 0.0)),
        "AR100": float(max(ev.stats[8], 0.0)),
    }


def evaluate_detector(detector: FaceDetector, coco: Coco, on_progress: OnProgress = no_progress) -> dict[str, Any]:
    """Figures of one detector on one split (``coco`` already reduced to it)."""
    results, seconds = detect_all(detector, coco, on_progress)
    return {
        "detector": detector.name, "images": len(coco["images"]), "faces": len(coco["annotations"]),
        "detections": len(results), "seconds_per_image": round(seconds, 3), **coco_metrics(coco, results),
        **recall_by_width(coco, results),
    }


# Face widths (px in the photo) the small-face figures are split at: the back of a group photo.
WIDTH_BANDS = {"recall_20px": (20, None), "recall_20_40px": (20, 40), "recall_40px": (40, None)}


def recall_by_width(coco: Coco, results: list[dict], *, iou: float = 0.5) -> dict[str, float]:
    """Share of the faces of each width band found (IoU ≥ ``iou``; each detection matches one face,
    best scores first): how well a detector finds small faces, whatever its scores' scale."""
    found: set[int] = set()
    by_image: dict[int, list[dict]] = {}
    for r in results:
        by_image.setdefault(r["image_id"], []).append(r)
    faces: dict[int, list[dict]] = {}
    for a in coco["annotations"]:
        faces.setdefault(a["image_id"], []).append(a)
    for image_id, truths in faces.items():
        free = {a["id"]: _box(a["bbox"]) for a in truths}
        for r in sorted(by_image.get(image_id, []), key=lambda r: -r["score"]):
            best, best_iou = None, iou
            for face_id, box in free.items():
                overlap = box.iou(_box(r["bbox"]))
                if overlap >= best_iou:
                    best, best_iou = face_id, overlap
            if best is not None:
                found.add(best)
                del free[best]
    figures = {}
    for name, (low, high) in WIDTH_BANDS.items():
        band = [a["id"] for a in coco["annotations"] if a["bbox"][2] >= low and (high is None or a["bbox"][2] < high)]
        figures[name] = sum(i in found for i in band) / len(band) if band else 0.0
        figures[name.replace("recall", "faces")] = len(band)
    return figures


def _box(bbox: list[float]) -> Box:
    x, y, w, h = bbox
    return Box(round(x), round(y), round(x + w), round(y + h))
