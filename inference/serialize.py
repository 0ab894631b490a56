"""The JSON shape of a photo's result: what ``familyphoto predict``, the API, the sort manifest and
cache write. JSON exists only at these edges; inside, results are :class:`PhotoResult` /
:class:`PhotoError` at full precision."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

from inference.types import Box, Face, Outcome, PhotoError, PhotoResult

DECIMALS = 4  # probabilities and scores in JSON: display precision, never decided on again


def result_to_dict(result: PhotoResult, *, crops: bool = True) -> dict[str, Any]:
    """``{"width", "height", "faces": [...], "present": [...]}`` for one photo."""
    faces = []
    for face in result.faces:
        item: dict[str, Any] = {
            "box": face.box.as_list(),
            "score": round(face.score, DECIMALS),
            "probabilities": {m: round(p, DECIMALS) for m, p in face.probabilities.items()},
            "member": face.member,
        }
        if crops and face.crop_jpeg is not None:
            item["crop"] = base64.b64encode(face.crop_jpeg).decode("ascii")
        faces.append(item)
    return {"width": result.width, "height": result.height, "faces": faces, "present": result.present}


def outcome_to_dict(outcome: Outcome, *, file: Path | str | None = None, crops: bool = True) -> dict[str, Any]:
    """A result or an error as JSON, with ``"file"`` first when given (a JSON Lines row)."""
    head: dict[str, Any] = {} if file is None else {"file": str(file)}
    if isinstance(outcome, PhotoError):
        return {**head, "error": outcome.message}
    return {**head, **result_to_dict(outcome, crops=crops)}


def outcome_from_dict(data: dict[str, Any]) -> Outcome:
    """Inverse of :func:`outcome_to_dict` (crops and embeddings are not kept in JSON)."""
    if "error" in data:
        return PhotoError(data["error"])
    faces = [
        Face(box=Box(*f["box"]), score=f["score"], probabilities=dict(f["probabilities"]), member=f["member"])
        for f in data["faces"]
    ]
    return PhotoResult(width=data["width"], height=data["height"], faces=faces)
