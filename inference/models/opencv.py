"""OpenCV, imported once with its logging quieted: its DNN engine warns on every model load
("Targets are not supported by the new graph engine"), noise on a user's terminal."""

from __future__ import annotations

import cv2

cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)

__all__ = ["cv2"]
