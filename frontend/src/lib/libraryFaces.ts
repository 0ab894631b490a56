import type { LibraryFace, LibraryPhoto } from "../api/client";
import { faceVerdict, NOT_IN_FAMILY, type FaceVerdict } from "./faceWords";

/**
 * What a library face is, in the words of faceWords: its member, "maybe leo" or "not in the family".
 * A face a person said is nobody of the family is "not in the family", whatever the probabilities.
 */
export function libraryFaceVerdict(face: LibraryFace): FaceVerdict {
  if (face.named_by === "person" && face.member == null) return { kind: "none", name: null, words: NOT_IN_FAMILY };
  return faceVerdict(face);
}

export function libraryFaceWords(face: LibraryFace): string {
  return libraryFaceVerdict(face).words;
}

/** The photo with `face` as the service now has it; the members present follow (left to right, each once). */
export function withFace(photo: LibraryPhoto, face: LibraryFace): LibraryPhoto {
  const faces = photo.faces.map((f) => (f.id === face.id ? face : f));
  return { ...photo, faces, present: [...new Set(faces.flatMap((f) => (f.member == null ? [] : [f.member])))] };
}
