"""A trained family, loaded from its weights directory."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from inference.manifest import MANIFEST_NAME, Manifest, sha256_file
from inference.models.member_classifier import MemberClassifier
from inference.registry import UnknownModel, recipe_class


class FamilyNotFound(FileNotFoundError):
    """The weights directory holds no trained family."""


class FamilyInvalid(ValueError):
    """The weights directory is damaged or from an incompatible version."""


@dataclass
class Family:
    """Members, their thresholds and the classifier that scores faces against them."""

    directory: Path
    manifest: Manifest
    classifier: MemberClassifier

    @property
    def members(self) -> list[str]:
        return self.manifest.members

    @property
    def thresholds(self) -> np.ndarray:
        return np.asarray([self.manifest.thresholds[m] for m in self.members], dtype=np.float32)

    @classmethod
    def load(cls, directory: Path, *, verify: bool = True) -> "Family":
        """Read ``manifest.json`` and check its model files (loading weights is lazy)."""
        directory = Path(directory)
        if not (directory / MANIFEST_NAME).is_file():
            raise FamilyNotFound(
                f"no trained family in {directory} (no {MANIFEST_NAME}); run: familyphoto train FAMILY_DIR --weights {directory}"
            )
        try:
            manifest = Manifest.read(directory)
        except ValueError as exc:
            raise FamilyInvalid(f"{directory / MANIFEST_NAME} is not a valid manifest: {exc}") from None
        try:
            recipe = recipe_class(manifest.recipe)
        except UnknownModel as exc:
            raise FamilyInvalid(f"{exc} in {directory}") from None
        missing = [m for m in manifest.members if m not in manifest.thresholds]
        if missing:
            raise FamilyInvalid(f"manifest has no threshold for {', '.join(missing)}")
        for name, entry in manifest.files.items():
            path = directory / name
            if not path.is_file():
                raise FamilyInvalid(f"{path} is missing")
            if verify and sha256_file(path) != entry.sha256:
                raise FamilyInvalid(f"{path} does not match its checksum in the manifest (damaged or replaced)")
        if manifest.classifier_file not in manifest.files:
            raise FamilyInvalid(f"the classifier file {manifest.classifier_file} is not listed in the manifest")
        return cls(directory, manifest, recipe(directory / manifest.classifier_file, manifest.members))
