import type { Face } from "../api/client";

/**
 * From this probability on, a face that no member was decided for is called "maybe <name>".
 *
 * The probabilities are calibrated: of the held-out faces shown p, about p were that member, and
 * a face is that member from 50% on. 20% is well short of that, but it still means about one such
 * face in five was that member: worth a second look (and perhaps a correction), so it gets a
 * hedged "maybe" rather than "not in the family". Below it, the face is far more likely someone
 * else or no one of the family.
 */
export const MAYBE_FROM = 0.2;

export type FaceVerdict =
  /** `member` is set: the service decided this face is that member. */
  | { kind: "member"; name: string; words: string }
  /** Nobody decided, but the most likely member reaches MAYBE_FROM. */
  | { kind: "maybe"; name: string; words: string }
  /** Nobody decided and nobody likely. */
  | { kind: "none"; name: null; words: string };

export const NOT_IN_FAMILY = "not in the family";

/**
 * What a face is, in plain words: the decided member's name, "maybe <name>", or "not in the family".
 *
 * The face's `member` is the authority (a family trained before every threshold was put at 50%
 * may decide a member below 50%, or not decide one above it); the probabilities only say "maybe".
 */
export function faceVerdict(face: Pick<Face, "member" | "probabilities">): FaceVerdict {
  if (face.member != null) return { kind: "member", name: face.member, words: face.member };
  let best: [string, number] | null = null;
  for (const entry of Object.entries(face.probabilities)) {
    if (best == null || entry[1] > best[1]) best = entry;
  }
  if (best != null && best[1] >= MAYBE_FROM) return { kind: "maybe", name: best[0], words: `maybe ${best[0]}` };
  return { kind: "none", name: null, words: NOT_IN_FAMILY };
}

/** The words alone: "leo", "maybe leo" or "not in the family". */
export function faceWords(face: Pick<Face, "member" | "probabilities">): string {
  return faceVerdict(face).words;
}
