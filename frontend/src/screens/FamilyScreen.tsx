import { useId, useState, type FormEvent } from "react";
import { api, ApiError } from "../api/client";
import { EvaluationPanel } from "../components/EvaluationPanel";
import { MemberCard } from "../components/MemberCard";
import { TrainPanel } from "../components/TrainPanel";
import { ValidationTable } from "../components/ValidationTable";
import { useMembers } from "../lib/members";

/** Family: the members and their faces; add, enrol, remove, train. */
export function FamilyScreen() {
  const { members, error: loadError, refresh } = useMembers();
  const nameId = useId();
  const [name, setName] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const add = async (event: FormEvent) => {
    event.preventDefault();
    const trimmed = name.trim();
    if (!trimmed) return;
    setBusy(true);
    setError(null);
    try {
      await api.addMember(trimmed);
      setName("");
      await refresh();
    } catch (exc) {
      setError(
        exc instanceof ApiError && exc.status === 409
          ? `There is already a member called “${trimmed}”.`
          : exc instanceof ApiError
            ? exc.message // for a name that cannot be one, the service says why (it is a folder name too)
            : String(exc),
      );
    } finally {
      setBusy(false);
    }
  };

  const empty = members != null && members.length === 0;
  const enrolled = (members ?? []).some((m) => m.enrolled_faces > 0);

  return (
    <section aria-labelledby="family-heading">
      <h1 id="family-heading">Family</h1>
      {empty && (
        <div className="notice welcome">
          <h2>Welcome! Teach it who your family is</h2>
          <ol>
            <li>Add each family member by name below.</li>
            <li>For each, upload a few photos where they are alone (5 or more is best).</li>
            <li>
              Press <strong>Train</strong>. After about a minute, drop any photo on “Who’s in this photo” to see who is
              in it.
            </li>
          </ol>
        </div>
      )}
      {loadError && (
        <p className="error" role="alert">
          {loadError}
        </p>
      )}

      <form className="add-member" onSubmit={(e) => void add(e)}>
        <label htmlFor={nameId}>New member’s name</label>
        <div className="add-member__row">
          <input
            id={nameId}
            value={name}
            onChange={(e) => setName(e.target.value)}
            maxLength={64}
            autoComplete="off"
            required
          />
          <button type="submit" className="button button--primary" disabled={busy || !name.trim()}>
            Add member
          </button>
        </div>
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
      </form>

      {members == null && !loadError && <p className="muted">Loading the family…</p>}
      {members && members.length > 0 && (
        <div className="members">
          <h2 className="visually-hidden">Members</h2>
          {members.map((m) => (
            <MemberCard key={m.name} member={m} />
          ))}
        </div>
      )}

      {members && members.length > 0 && <TrainPanel canTrain={enrolled} />}
      {members && <ValidationTable members={members} />}
      {members && members.length > 0 && <EvaluationPanel />}
    </section>
  );
}
