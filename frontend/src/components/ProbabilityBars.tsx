import { percent } from "../lib/format";

type Props = {
  probabilities: Record<string, number>;
  /** The member decided for this face (null: nobody): its bar is highlighted. */
  decided: string | null;
  /** Members shown before "all members" (the most likely first). */
  top?: number;
};

/** One bar per member: how likely the face is that member (a face is that member from 50% on). */
export function ProbabilityBars({ probabilities, decided, top = 3 }: Props) {
  const rows = Object.entries(probabilities).sort((a, b) => b[1] - a[1]);
  if (!rows.length) return <p className="muted">No family trained yet, so no one to compare with.</p>;
  if (rows.length <= top + 1) return <Bars rows={rows} decided={decided} />;
  return (
    <>
      <Bars rows={rows.slice(0, top)} decided={decided} />
      <details className="bars__more">
        <summary>All {rows.length} members</summary>
        <Bars rows={rows.slice(top)} decided={decided} />
      </details>
    </>
  );
}

function Bars({ rows, decided }: { rows: [string, number][]; decided: string | null }) {
  return (
    <ul className="bars" aria-label="Probability per member">
      {rows.map(([name, p]) => (
        <li key={name} className={`bar${name === decided ? " bar--decided" : ""}`}>
          <span className="bar__name">{name}</span>
          <span className="bar__track" role="img" aria-label={`${name}: ${percent(p)}`}>
            <span className="bar__fill" style={{ width: `${Math.max(p * 100, 0.5)}%` }} />
          </span>
          <span className="bar__value">{percent(p)}</span>
        </li>
      ))}
    </ul>
  );
}
