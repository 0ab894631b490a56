"""``POST /predict`` and ``POST /predict/batch``: who is in a photo."""

from __future__ import annotations

import base64
from functools import partial
from typing import Annotated

from fastapi import APIRouter, File, Query, UploadFile

from api.deps import ReadUploadDep, ServiceDep
from api.errors import error_status
from api.schemas import BatchItemOut, ErrorOut, FaceOut, PredictionOut, Timings
from api.uploads import UploadRoute
from inference.pipeline import Analysis
from inference.serialize import result_to_dict
from library.media import preview_jpeg

router = APIRouter(tags=["predict"], route_class=UploadRoute)  # uploads read within their limits as they arrive

PHOTO_ERRORS = {
    413: {"model": ErrorOut, "description": "Upload over the size limit, or an image with too many pixels."},
    415: {"model": ErrorOut, "description": "Not an image."},
    422: {"model": ErrorOut, "description": "Unreadable, truncated or empty image, or bad fields."},
}
CropsQuery = Annotated[bool, Query(description="Include a base64 JPEG crop of each face.")]
PreviewQuery = Annotated[
    bool, Query(description="Include a base64 JPEG of the photo as seen (for photos a browser cannot show: HEIC).")
]


@router.post("/predict", response_model=PredictionOut, response_model_exclude_unset=True, responses=PHOTO_ERRORS)
async def predict(
    service: ServiceDep,
    read: ReadUploadDep,
    file: Annotated[UploadFile, File(description="One photo: JPEG, PNG, WebP, HEIC, ...")],
    crops: CropsQuery = True,
    preview: PreviewQuery = False,
) -> PredictionOut:
    """Who is in one photo: every face with its box, per-member probabilities and decided member."""
    analysis = await service.analyze(await read(file), crops=crops)
    out = _prediction(analysis, crops)
    if preview and analysis.pixels is not None:
        out.preview = base64.b64encode(preview_jpeg(analysis.pixels)).decode("ascii")
    return out


@router.post(
    "/predict/batch", response_model=list[BatchItemOut], response_model_exclude_unset=True,
    responses={413: PHOTO_ERRORS[413], 422: PHOTO_ERRORS[422]},
)
async def predict_batch(
    service: ServiceDep,
    read: ReadUploadDep,
    files: Annotated[list[UploadFile], File(description="Several photos.")],
    crops: CropsQuery = True,
) -> list[BatchItemOut]:
    """Several photos, results in the same order; a bad file gets an error entry, not a failed batch."""
    photos = [(upload.filename or f"file{i + 1}", partial(read, upload)) for i, upload in enumerate(files)]
    return [
        BatchItemOut(file=name, status=200, result=_prediction(outcome, crops))
        if isinstance(outcome, Analysis)
        else BatchItemOut(file=name, status=error_status(outcome), error=str(outcome))
        for name, outcome in await service.analyze_each(photos, crops=crops)
    ]


def _prediction(analysis: Analysis, crops: bool) -> PredictionOut:
    body = result_to_dict(analysis.result, crops=crops)
    return PredictionOut(
        width=body["width"], height=body["height"], present=body["present"],
        faces=[FaceOut(**face) for face in body["faces"]],
        timings_ms=Timings(**analysis.timings.as_dict()),
    )
