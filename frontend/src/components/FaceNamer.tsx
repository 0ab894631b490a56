import { useId, useRef, useState, type FormEvent } from "react";
import { api, ApiError, type LibraryFace, type NamedFace } from "../api/client";
import { knownName, MemberNameInput, useMemberNames } from "./MemberNameInput";

type Props = {
  face: LibraryFace;
  /** "Face 2" */
  label: string;
  onNamed: (result: NamedFace, said: string) => void;
};

/** Words for a refused name: 409 (named on another face of the photo, or hidden), 422 (not a usable name). */
function refusal(exc: unknown, member: string | null): string {
  if (!(exc instanceof ApiError)) return String(exc);
  if (exc.status === 409)
    return member != null && /another face/.test(exc.detail)
      ? `${member} is already named on another face of this photo: a person is in a photo once. Undo that name first.`
      : `Not saved: ${exc.detail}`;
  if (exc.status === 422) return member != null ? `“${member}” cannot be a name: ${exc.detail}.` : exc.message;
  return exc.message;
}

/**
 * Say who a library face is: "This is …" (a member, or a new person: typing a new name adds them),
 * "Not in the family", and "Undo" for a face a person named. Errors show here, next to the face.
 */
export function FaceNamer({ face, label, onNamed }: Props) {
  const id = useId();
  const input = useRef<HTMLInputElement>(null);
  const [who, setWho] = useState("");
  const [newPerson, setNewPerson] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const names = useMemberNames();
  const typed = who.trim();
  const known = knownName(names, typed);

  // Nothing is disabled while saving (a disabled button would drop the keyboard's focus): a second press waits.
  const send = async (member: string | null, undo = false) => {
    if (busy) return;
    setBusy(true);
    setError(null);
    try {
      const result = undo ? await api.unnameFace(face.id) : await api.nameFace(face.id, member);
      setWho("");
      setNewPerson(false);
      onNamed(result, undo ? "undo" : member == null ? "nobody" : member);
      if (undo) input.current?.focus(); // the Undo button goes with the name
    } catch (exc) {
      setError(refusal(exc, member));
    } finally {
      setBusy(false);
    }
  };

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (typed) void send(newPerson ? typed : (known ?? typed));
    else input.current?.focus();
  };

  const startNew = () => {
    setNewPerson(true);
    setWho("");
    setError(null);
    input.current?.focus();
  };

  return (
    <div className="namer">
      <form className="namer__form" onSubmit={submit} aria-label={`Name ${label}`}>
        <label htmlFor={`${id}-who`}>{newPerson ? "New person’s name" : "This is"}</label>
        <MemberNameInput
          ref={input}
          id={`${id}-who`}
          suggest={!newPerson}
          value={who}
          onChange={(e) => setWho(e.target.value)}
          placeholder={newPerson ? "e.g. grandma" : "a name…"}
          aria-busy={busy}
        />
        <button type="submit" className="button button--primary">
          {typed && (newPerson || !known) ? `Add ${typed}` : "Save"}
        </button>
        {newPerson ? (
          <button type="button" className="button button--quiet" onClick={() => setNewPerson(false)}>
            Cancel
          </button>
        ) : (
          <button type="button" className="button button--quiet" onClick={startNew}>
            New person…
          </button>
        )}
      </form>
      <div className="namer__actions">
        <button type="button" className="button" onClick={() => void send(null)}>
          Not in the family
        </button>
        {face.named_by === "person" && (
          <button type="button" className="button button--quiet" onClick={() => void send(null, true)}>
            Undo
          </button>
        )}
      </div>
      {typed && !newPerson && !known && (
        <p className="muted namer__hint">Nobody is called “{typed}” yet: saving adds them to the family.</p>
      )}
      {busy && (
        <p className="muted" role="status">
          Saving…
        </p>
      )}
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}
