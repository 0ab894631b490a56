"""Face detectors side by side on the same validation photos: COCO AP, AP50, recall (IoU 0.5), time.

    python bench/detectors.py [--data ../shared/data] [--datasets facemask_voc dlib_faces]
                              [--detectors hog cnn frcnn] [--frcnn-weights DIR] [--max-images N]

Each detector runs through the service's FaceDetector interface with the default settings
(HOG/CNN keep detections above min_face_score; Faster R-CNN above its own score threshold,
``--frcnn-min-score`` to change it). The validation split is the converters' hash split.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from inference.registry import ModelChoice, build_detector  # noqa: E402
from inference.settings import Settings  # noqa: E402
from training.detection.convert import convert, split_subset  # noqa: E402
from training.detection.evaluate import evaluate_detector  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=Path(os.environ.get("FAMILYPHOTO_TEST_DATA", "../shared/data")))
    parser.add_argument("--datasets", nargs="+", default=["facemask_voc", "dlib_faces"])
    parser.add_argument("--detectors", nargs="+", default=["yunet", "hog", "frcnn"])
    parser.add_argument("--frcnn-weights", type=Path, default=Path("bench/out/frcnn-facemask"))
    parser.add_argument("--frcnn-min-score", type=float, default=None)
    parser.add_argument("--max-images", type=int, default=None, help="first N validation photos only")
    parser.add_argument("--detect-size", type=int, default=None, help="long side to detect at (default: each detector's)")
    parser.add_argument("--max-upscale", type=float, default=None, help="enlarge small photos up to this (default: each detector's)")
    args = parser.parse_args()
    print("| dataset (val split) | detector | photos | faces | AP | AP50 | recall@0.5 | recall ≥20 px (20-40 / ≥40) | detections | s/photo |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name in args.datasets:
        coco = split_subset(convert(args.data / "detection" / name), "val")
        if args.max_images:
            coco["images"] = coco["images"][: args.max_images]
            ids = {im["id"] for im in coco["images"]}
            coco["annotations"] = [a for a in coco["annotations"] if a["image_id"] in ids]
        for detector in args.detectors:
            settings = Settings(
                detector_weights=args.frcnn_weights, detector_min_score=args.frcnn_min_score,
                detect_size=args.detect_size, detect_max_upscale=args.max_upscale,
            )
            f = evaluate_detector(build_detector(ModelChoice(detector, settings.detector_weights), settings), coco)
            print(
                f"| {name} | {detector} | {f['images']} | {f['faces']} | {f['AP']:.3f} | {f['AP50']:.3f} | "
                f"{f['recall']:.3f} | {f['recall_20px']:.3f} ({f['recall_20_40px']:.3f} / {f['recall_40px']:.3f}) | "
                f"{f['detections']} | {f['seconds_per_image']:.2f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
