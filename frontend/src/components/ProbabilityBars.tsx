import { percent } from "../lib/format";

type Props = {
  probabilities: Record<string, number>;
  thresholds: Record<string, number | null>;
  decided: string | null;
  /** Members shown before "all members" (the most likely first). */
  top?: number;
};

/** One bar per member: the face's probability, with the member's threshold marked on it. */
export function ProbabilityBars({ probabilities, thresholds, decided, top = 3 }: Props) {
  const rows = Object.entries(probabilities).sort((a, b) => b[1] - a[1]);
  if (!rows.length) return <p className="muted">No family trained yet, so no one to compare with.</p>;
  if (rows.length <= top + 1) return <Bars rows={rows} thresholds={thresholds} decided={decided} />;
  return (
    <>
      <Bars rows={rows.slice(0, top)} thresholds={thresholds} decided={decided} />
      <details className="bars__more">
        <summary>All {rows.length} members</summary>
        <Bars rows={rows.slice(top)} thresholds={thresholds} decided={decided} />
      </details>
    </>
  );
}

function Bars({
  rows,
  thresholds,
  decided,
}: {
  rows: [string, number][];
  thresholds: Props["thresholds"];
  decided: string | null;
}) {
  return (
    <ul className="bars" aria-label="Probability per member">
      {rows.map(([name, p]) => {
        const threshold = thresholds[name] ?? null;
        const over = threshold != null && p >= threshold;
        return (
          <li key={name} className={`bar${name === decided ? " bar--decided" : ""}`}>
            <span className="bar__name">{name}</span>
            <span
              className="bar__track"
              role="img"
              aria-label={`${name}: ${percent(p)}${threshold != null ? `, threshold ${percent(threshold)}` : ""}`}
            >
              <span
                className={`bar__fill${over ? " bar__fill--over" : ""}`}
                style={{ width: `${Math.max(p * 100, 0.5)}%` }}
              />
              {threshold != null && (
                <span
                  className="bar__threshold"
                  style={{ left: `${threshold * 100}%` }}
                  title={`threshold ${percent(threshold)}`}
                />
              )}
            </span>
            <span className="bar__value">{percent(p)}</span>
          </li>
        );
      })}
    </ul>
  );
}
