import { useCallback, useEffect, useRef, useState } from "react";
import { api, ApiError, type Enrolment, type FaceRecord, type Member } from "../api/client";
import { plural } from "../lib/format";
import { useMembers } from "../lib/members";
import { DropZone } from "./DropZone";
import { UploadOutcome } from "./UploadOutcome";

/** One member: their enrolled faces as a grid, solo-photo upload, and removal. */
export function MemberCard({ member }: { member: Member }) {
  const { refresh } = useMembers();
  const [faces, setFaces] = useState<FaceRecord[] | null>(null);
  const [stored, setStored] = useState(true); // false: a member of a family trained on the command line
  const [uploading, setUploading] = useState<number | null>(null);
  const [enrolment, setEnrolment] = useState<Enrolment | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [confirming, setConfirming] = useState(false);
  const headingId = `member-${member.name.replace(/[^\w-]/g, "_")}`;
  // After a face is removed, focus stays in the list: on the next face's remove button, else the previous, else the heading.
  const removeButtons = useRef(new Map<number, HTMLButtonElement>());
  const heading = useRef<HTMLHeadingElement>(null);
  const [focusAfter, setFocusAfter] = useState<number | "heading" | null>(null);
  useEffect(() => {
    if (focusAfter == null) return;
    (focusAfter === "heading" ? heading.current : removeButtons.current.get(focusAfter))?.focus();
    setFocusAfter(null);
  }, [focusAfter, faces]);

  const loadFaces = useCallback(async () => {
    try {
      setFaces(await api.faces(member.name));
      setStored(true);
    } catch (exc) {
      setFaces([]);
      // 404: a member of the served family (trained by `familyphoto train`) that this service does not store.
      if (exc instanceof ApiError && exc.status === 404) setStored(false);
      else setError(exc instanceof ApiError ? exc.message : String(exc));
    }
  }, [member.name]);

  useEffect(() => {
    void loadFaces();
  }, [loadFaces]);

  const run = async (action: () => Promise<void>) => {
    setError(null);
    try {
      await action();
    } catch (exc) {
      setError(exc instanceof ApiError ? exc.message : String(exc));
    }
  };

  const upload = (files: File[]) =>
    run(async () => {
      setUploading(files.length);
      setEnrolment(null);
      try {
        setEnrolment(await api.enrol(member.name, files));
        await Promise.all([loadFaces(), refresh()]);
      } finally {
        setUploading(null);
      }
    });

  const removeFace = (face: FaceRecord) =>
    run(async () => {
      await api.removeFace(member.name, face.id);
      const all = faces ?? [];
      const at = all.findIndex((f) => f.id === face.id);
      const neighbour = all[at + 1] ?? all[at - 1];
      setFaces((current) => (current ?? []).filter((f) => f.id !== face.id));
      setFocusAfter(neighbour ? neighbour.id : "heading");
      await refresh();
    });

  const removeMember = () =>
    run(async () => {
      await api.removeMember(member.name);
      await refresh();
    });

  const count = faces?.length || member.enrolled_faces;
  return (
    <article className="member" aria-labelledby={headingId}>
      <header className="member__header">
        <h3 id={headingId} ref={heading} tabIndex={-1}>
          {member.name}
        </h3>
        <span className="muted">
          {plural(count, "face")} enrolled
          {member.threshold == null ? " · not trained yet" : ""}
        </span>
      </header>

      {faces == null ? (
        <p className="muted">Loading faces…</p>
      ) : faces.length ? (
        <ul className="face-grid" aria-label={`${member.name}’s enrolled faces`}>
          {faces.map((face) => (
            <li key={face.id} className="face-grid__item">
              <img
                src={`data:image/jpeg;base64,${face.crop}`}
                alt={`${member.name}, from ${face.source}${face.origin === "feedback" ? " (a correction)" : ""}`}
                loading="lazy"
              />
              <button
                ref={(el) => {
                  if (el) removeButtons.current.set(face.id, el);
                  else removeButtons.current.delete(face.id);
                }}
                type="button"
                className="face-grid__remove"
                onClick={() => void removeFace(face)}
                aria-label={`Remove the face from ${face.source}`}
                title={`Remove the face from ${face.source}`}
              >
                ×
              </button>
            </li>
          ))}
        </ul>
      ) : !stored ? (
        <p className="muted">
          Taught on the command line (<code>familyphoto train</code>) from {plural(member.enrolled_faces, "face")}; this
          service keeps no pictures of them, so {member.name} is managed there.
        </p>
      ) : (
        <p className="muted">No faces yet. Upload a few photos where {member.name} is alone (5 or more is best).</p>
      )}

      {stored && (
        <DropZone
          onFiles={(files) => void upload(files)}
          label={`Add photos of ${member.name}`}
          hint="Solo photos: the largest face in each is taken."
          compact
        />
      )}
      {uploading != null && (
        <p role="status" className="busy-line">
          <progress aria-label={`Uploading photos of ${member.name}`} /> Looking at {plural(uploading, "photo")}…
        </p>
      )}
      {enrolment && (
        <UploadOutcome
          className="enrolment"
          taken={`Took ${plural(enrolment.enrolled.length, "face")}`}
          ok={enrolment.enrolled.length > 0}
          left={enrolment.rejected}
        />
      )}
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}

      {stored && (
        <div className="member__danger">
          {confirming ? (
            <>
              <span>Remove {member.name} and all their faces?</span>
              <button type="button" className="button button--danger button--small" onClick={() => void removeMember()}>
                Yes, remove {member.name}
              </button>
              <button type="button" className="button button--quiet button--small" onClick={() => setConfirming(false)}>
                Cancel
              </button>
            </>
          ) : (
            <button type="button" className="button button--quiet button--small" onClick={() => setConfirming(true)}>
              Remove member<span className="visually-hidden"> {member.name}</span>
            </button>
          )}
        </div>
      )}
    </article>
  );
}
