"""The JSON shape of a photo's result, shared by ``familyphoto predict`` and the API."""

from __future__ import annotations

import base64
from typing import Any

from inference.types import PhotoResult


def result_to_dict(result: PhotoResult, *, crops: bool = True) -> dict[str, Any]:
    """``{"width", "height", "faces": [...], "present": [...]}`` for one photo."""
    faces = []
    for face in result.faces:
        item: dict[str, Any] = {
            "box": face.box.as_list(),
            "score": round(face.score, 4),
            "probabilities": {m: round(p, 4) for m, p in face.probabilities.items()},
            "member": face.member,
        }
        if crops and face.crop_jpeg is not None:
            item["crop"] = base64.b64encode(face.crop_jpeg).decode("ascii")
        faces.append(item)
    return {"width": result.width, "height": result.height, "faces": faces, "present": result.present}
