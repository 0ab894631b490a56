import { useId, useState, type FormEvent } from "react";
import { api, ApiError } from "../api/client";
import { useMembers } from "../lib/members";

type Props = { file: File; box: number[]; label: string };

/** "This is …" / "Not anyone in the family": sends the correction to POST /feedback. */
export function CorrectFace({ file, box, label }: Props) {
  const { members } = useMembers();
  const selectId = useId();
  const names = (members ?? []).map((m) => m.name);
  const [who, setWho] = useState("");
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ text: string; error: boolean } | null>(null);

  const send = async (member: string | null) => {
    setBusy(true);
    setMessage(null);
    try {
      const result = await api.feedback(file, box, member);
      setMessage({ text: result.message, error: false });
    } catch (exc) {
      setMessage({ text: exc instanceof ApiError ? exc.message : String(exc), error: true });
    } finally {
      setBusy(false);
    }
  };

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    if (who) void send(who);
  };

  return (
    <div className="correct">
      <form className="correct__form" onSubmit={onSubmit} aria-label={`Correct ${label}`}>
        <label htmlFor={selectId}>This is</label>
        <select id={selectId} value={who} onChange={(e) => setWho(e.target.value)} disabled={busy || !names.length}>
          <option value="">{names.length ? "choose who…" : "(no members yet)"}</option>
          {names.map((n) => (
            <option key={n} value={n}>
              {n}
            </option>
          ))}
        </select>
        <button type="submit" className="button" disabled={busy || !who}>
          Save
        </button>
        <button type="button" className="button button--quiet" disabled={busy} onClick={() => void send(null)}>
          Not anyone in the family
        </button>
      </form>
      <p className={message?.error ? "error" : "success"} role="status" aria-live="polite">
        {busy ? "Saving…" : message?.text}
      </p>
    </div>
  );
}
