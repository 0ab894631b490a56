import type { Job, LibraryFace, LibraryPhoto, LibraryStatus, Person, UnnamedGroup } from "../api/client";

export function face(id: number, x: number, member: string | null, extra: Partial<LibraryFace> = {}): LibraryFace {
  return {
    id,
    box: [x, 100, x + 100, 200],
    member,
    probabilities: member ? { [member]: 0.9 } : { raj: 0.05, howard: 0.3 },
    named_by: "model",
    ...extra,
  };
}

export function libraryPhoto(id: number, faces: LibraryFace[], taken = "2024-05-01T10:00:00"): LibraryPhoto {
  return {
    id,
    path: `/photos/p${id}.jpg`,
    taken_at: taken,
    width: 1000,
    height: 500,
    present: [...new Set(faces.flatMap((f) => (f.member ? [f.member] : [])))],
    faces,
  };
}

export const PEOPLE: Person[] = [
  { name: "howard", photos: 2, faces: 2, cover_face_id: 11 },
  { name: "raj", photos: 7, faces: 8, cover_face_id: 12 },
  { name: "stuart", photos: 0, faces: 0, cover_face_id: null },
];

export function status(extra: Partial<LibraryStatus> = {}): LibraryStatus {
  return {
    roots: [
      { path: "/photos/family", photos: 40, available: true, scanned: true },
      { path: "/mnt/usb", photos: 3, available: false, scanned: true },
      { path: "/data/library/uploads", photos: 0, available: true, scanned: true },
    ],
    photos: 43,
    faces: 90,
    skipped: 1,
    named_faces: 2,
    changes_since_training: 2,
    retrain_after: 0,
    scan: null,
    training: null,
    decided: true,
    ...extra,
  };
}

export function job(kind: string, state: string, progress: number, stage: string, result?: Job["result"]): Job {
  return { id: `${kind}-1`, kind, state, progress, stage, created: "", result };
}

/** An unnamed group ("Who is this?") of `faces` faces, its samples numbered from `id * 100`. */
export function unnamedGroup(id: number, faces: number, extra: Partial<UnnamedGroup> = {}): UnnamedGroup {
  return {
    id,
    faces,
    photos: faces,
    sample_face_ids: Array.from({ length: Math.min(faces, 4) }, (_, i) => id * 100 + i),
    looks_like: null,
    ignored: false,
    ...extra,
  };
}
