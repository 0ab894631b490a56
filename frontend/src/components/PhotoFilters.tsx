import { useId, useState, type FormEvent } from "react";
import { listMembers, type PhotoList } from "../lib/photoList";
import { useMembers } from "../lib/members";

type Props = { list: PhotoList; onChange: (list: PhotoList) => void };

/** When (from, to) and with whom (members as removable chips, all of them or any of them). */
export function PhotoFilters({ list, onChange }: Props) {
  const { members } = useMembers();
  const id = useId();
  const [who, setWho] = useState("");
  const [error, setError] = useState<string | null>(null);
  const chosen = listMembers(list);
  const others = (members ?? []).filter((m) => !m.hidden && !chosen.includes(m.name)).map((m) => m.name);

  const add = (event: FormEvent) => {
    event.preventDefault();
    const name = who.trim();
    if (!name) return;
    const member = (members ?? []).find((m) => m.name.toLowerCase() === name.toLowerCase() && !m.hidden);
    if (!member) {
      setError(`There is nobody called “${name}” in the family.`);
      return;
    }
    setError(null);
    setWho("");
    if (!chosen.includes(member.name)) onChange({ ...list, with: [...list.with, member.name] });
  };

  return (
    <div className="filters">
      <div className="filters__dates">
        <span className="filters__date">
          <label htmlFor={`${id}-from`}>From</label>
          <input
            id={`${id}-from`}
            type="date"
            value={list.from ?? ""}
            max={list.to ?? undefined}
            onChange={(e) => onChange({ ...list, from: e.target.value || null })}
          />
        </span>
        <span className="filters__date">
          <label htmlFor={`${id}-to`}>To</label>
          <input
            id={`${id}-to`}
            type="date"
            value={list.to ?? ""}
            min={list.from ?? undefined}
            onChange={(e) => onChange({ ...list, to: e.target.value || null })}
          />
        </span>
      </div>

      <form className="filters__with" onSubmit={add}>
        <label htmlFor={`${id}-with`}>{list.person ? `With ${list.person} and…` : "With…"}</label>
        <input
          id={`${id}-with`}
          list={`${id}-members`}
          value={who}
          onChange={(e) => setWho(e.target.value)}
          placeholder="a name"
          autoComplete="off"
        />
        <datalist id={`${id}-members`}>
          {others.map((n) => (
            <option key={n} value={n} />
          ))}
        </datalist>
        <button type="submit" className="button" disabled={!who.trim()}>
          Add
        </button>
      </form>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}

      {list.with.length > 0 && (
        <ul className="chips" aria-label="Also in the photos">
          {list.with.map((name) => (
            <li key={name} className="chip chip--removable">
              {name}
              <button
                type="button"
                className="chip__remove"
                aria-label={`Remove ${name}`}
                onClick={() => onChange({ ...list, with: list.with.filter((n) => n !== name) })}
              >
                ×
              </button>
            </li>
          ))}
        </ul>
      )}

      {chosen.length > 1 && (
        <fieldset className="filters__match">
          <legend className="visually-hidden">Which photos</legend>
          <label>
            <input
              type="radio"
              name={`${id}-match`}
              checked={list.match === "all"}
              onChange={() => onChange({ ...list, match: "all" })}
            />{" "}
            all of them together
          </label>
          <label>
            <input
              type="radio"
              name={`${id}-match`}
              checked={list.match === "any"}
              onChange={() => onChange({ ...list, match: "any" })}
            />{" "}
            any of them
          </label>
        </fieldset>
      )}
    </div>
  );
}
