"""Face boxes to COCO: from Pascal VOC XML or dlib's imglab XML, with a deterministic train/val split.

Images are referenced by absolute path (``file_name``), never copied; a COCO json whose
``file_name``s are relative to an image folder (Detectron2's ``image_root``, CVAT and Label
Studio exports) is read with those names made absolute (:func:`load_coco`). Each image carries a
``split`` ("train" or "val") decided by a hash of its file name, so a split never changes
when photos are added or the conversion is rerun. Every object class becomes ``face``
(category 1); the original class is kept in the annotation's ``source_class``.
"""

from __future__ import annotations

import hashlib
import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from PIL import Image

from inference.inputs import is_image_path

FACE_CATEGORY = {"id": 1, "name": "face", "supercategory": "face"}
DEFAULT_VAL_SHARE = 0.2
Coco = dict[str, Any]


def split_of(file_name: str, val_share: float = DEFAULT_VAL_SHARE) -> str:
    """``"val"`` for about ``val_share`` of file names, ``"train"`` for the rest: a hash of the base name."""
    digest = int(hashlib.sha256(Path(file_name).name.encode("utf-8")).hexdigest()[:8], 16)
    return "val" if digest / 0xFFFFFFFF < val_share else "train"


class _Builder:
    """Accumulates images and boxes into one COCO dictionary."""

    def __init__(self, source: str, val_share: float) -> None:
        self.coco: Coco = {
            "info": {"description": f"faces converted from {source}", "val_share": val_share},
            "images": [], "annotations": [], "categories": [FACE_CATEGORY],
        }
        self.val_share = val_share

    def image(self, path: Path, width: int, height: int) -> int:
        image_id = len(self.coco["images"]) + 1
        self.coco["images"].append({
            "id": image_id, "file_name": str(path.resolve()), "width": width, "height": height,
            "split": split_of(path.name, self.val_share),
        })
        return image_id

    def box(self, image_id: int, x1: float, y1: float, x2: float, y2: float, source_class: str) -> None:
        w, h = x2 - x1, y2 - y1
        if w <= 0 or h <= 0:
            return
        self.coco["annotations"].append({
            "id": len(self.coco["annotations"]) + 1, "image_id": image_id, "category_id": 1,
            "bbox": [float(x1), float(y1), float(w), float(h)], "area": float(w * h), "iscrowd": 0,
            "source_class": source_class,
        })


def voc_to_coco(voc_dir: Path, *, val_share: float = DEFAULT_VAL_SHARE) -> Coco:
    """A Pascal VOC folder (``annotations/*.xml`` beside ``images/``) to COCO; every class is a face."""
    annotations = voc_dir / "annotations" if (voc_dir / "annotations").is_dir() else voc_dir / "Annotations"
    images = voc_dir / "images" if (voc_dir / "images").is_dir() else voc_dir / "JPEGImages"
    if not annotations.is_dir():
        raise ValueError(f"{voc_dir} has no annotations/ (or Annotations/) folder of Pascal VOC XML")
    builder = _Builder(str(voc_dir), val_share)
    for xml in sorted(annotations.glob("*.xml"), key=lambda p: p.name):
        root = ET.parse(xml).getroot()
        path = images / root.findtext("filename", default=f"{xml.stem}.jpg")
        if not path.is_file():
            raise ValueError(f"{xml} names {path}, which does not exist")
        size = root.find("size")
        if size is not None and size.findtext("width"):
            width, height = int(size.findtext("width")), int(size.findtext("height"))
        else:
            with Image.open(path) as im:
                width, height = im.size
        image_id = builder.image(path, width, height)
        for obj in root.iter("object"):
            bb = obj.find("bndbox")
            coords = [float(bb.findtext(k)) for k in ("xmin", "ymin", "xmax", "ymax")]
            builder.box(image_id, *coords, source_class=obj.findtext("name", default="face"))
    return builder.coco


def imglab_to_coco(xml_files: list[Path], *, val_share: float = DEFAULT_VAL_SHARE) -> Coco:
    """dlib imglab XML files (``<image file=...><box top left width height/>``) to one COCO.

    Image paths are relative to each XML file; an image listed twice is kept once.
    Boxes marked ``ignore='1'`` are left out.
    """
    builder = _Builder(", ".join(str(x) for x in xml_files), val_share)
    seen: set[Path] = set()
    for xml in xml_files:
        root = ET.parse(xml).getroot()
        for node in root.iter("image"):
            path = (xml.parent / node.get("file", "")).resolve()
            if path in seen:
                continue
            seen.add(path)
            if not is_image_path(path) or not path.is_file():
                raise ValueError(f"{xml} names {path}, which does not exist")
            with Image.open(path) as im:
                width, height = im.size
            image_id = builder.image(path, width, height)
            for box in node.iter("box"):
                if box.get("ignore", "0") == "1":
                    continue
                x, y = float(box.get("left")), float(box.get("top"))
                builder.box(image_id, x, y, x + float(box.get("width")), y + float(box.get("height")), "face")
    return builder.coco


def image_folders(coco_json: Path, images: Path | None) -> list[Path]:
    """Where a COCO json's relative ``file_name``s are looked for: ``images`` if given, else the
    json's own folder, then an ``images/`` folder beside it."""
    return [images] if images is not None else [coco_json.parent, coco_json.parent / "images"]


def load_coco(path: Path, images: Path | None = None) -> Coco:
    """A COCO json with every ``file_name`` made absolute (the images are only looked at, never copied).

    Relative names are resolved against the first of :func:`image_folders` that holds the
    first of them. Raises ``ValueError`` naming the json, the first missing image, how many are
    missing and the folders tried, when any image is not there.
    """
    try:
        coco = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path} is not valid JSON: {exc}") from None
    if not isinstance(coco, dict) or not isinstance(coco.get("images"), list):
        raise ValueError(f"{path} is not a COCO dataset (no \"images\" list)")
    if images is not None and not images.is_dir():
        raise ValueError(f"--images {images} is not a folder")
    folders = image_folders(path, images)
    relative = [im["file_name"] for im in coco["images"] if not Path(im["file_name"]).is_absolute()]
    root = next((f for f in folders if relative and (f / relative[0]).is_file()), folders[0])
    resolved = []
    for im in coco["images"]:
        name = Path(im["file_name"])
        # absolute, not resolved: a link in the export's folder stays the path the user gave
        resolved.append({**im, "file_name": str(name if name.is_absolute() else (root / name).absolute())})
    missing = [im["file_name"] for im in resolved if not Path(im["file_name"]).is_file()]
    if missing:
        tried = ", ".join(str(f) for f in folders)
        raise ValueError(
            f"{path}: {len(missing)} of {len(resolved)} images not found, the first {missing[0]} "
            f"(relative names were looked for in {tried}); give the image folder with --images DIR"
        )
    return {**coco, "images": resolved}


def convert(source: Path, *, val_share: float = DEFAULT_VAL_SHARE, images: Path | None = None) -> Coco:
    """Any supported source: a COCO ``.json`` (its relative image names found by :func:`load_coco`,
    in ``images`` if given), a VOC folder, an imglab ``.xml``, or a folder of imglab files
    (``training.xml`` + ``testing.xml``, as dlib's examples)."""
    if source.is_file() and source.suffix == ".json":
        return load_coco(source, images)
    if images is not None:
        raise ValueError(f"--images is for a COCO .json dataset; {source} names its own images")
    if source.is_file() and source.suffix == ".xml":
        return imglab_to_coco([source], val_share=val_share)
    if source.is_dir() and ((source / "annotations").is_dir() or (source / "Annotations").is_dir()):
        return voc_to_coco(source, val_share=val_share)
    if source.is_dir():
        xmls = [source / n for n in ("training.xml", "testing.xml") if (source / n).is_file()]
        if xmls:
            return imglab_to_coco(xmls, val_share=val_share)
    raise ValueError(f"{source}: not a COCO .json, a Pascal VOC folder, or dlib imglab XML")


def write_coco(coco: Coco, out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(coco, indent=1), encoding="utf-8")


def split_subset(coco: Coco, split: str | None, *, val_share: float = DEFAULT_VAL_SHARE) -> Coco:
    """The images of one split (``None``: all) with their boxes. Images without a ``split`` get one by hash."""
    if split is None:
        return coco
    images = [im for im in coco["images"] if im.get("split", split_of(im["file_name"], val_share)) == split]
    ids = {im["id"] for im in images}
    return {
        **coco, "images": images,
        "annotations": [a for a in coco["annotations"] if a["image_id"] in ids],
    }
