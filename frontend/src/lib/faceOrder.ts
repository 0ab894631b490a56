/** Faces left to right (then top to bottom), as a person reads a photo: their numbers 1, 2, 3 … follow. */
export function leftToRight<T extends { box: number[] }>(faces: readonly T[]): T[] {
  return [...faces].sort((a, b) => a.box[0] - b.box[0] || a.box[1] - b.box[1]);
}
