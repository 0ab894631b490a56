import { percent } from "../lib/format";

type Props = {
  probabilities: Record<string, number>;
  thresholds: Record<string, number | null>;
  decided: string | null;
};

/** One bar per member: the face's probability, with the member's threshold marked on it. */
export function ProbabilityBars({ probabilities, thresholds, decided }: Props) {
  const rows = Object.entries(probabilities).sort((a, b) => b[1] - a[1]);
  if (!rows.length) return <p className="muted">No family trained yet, so no one to compare with.</p>;
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
              <span className={`bar__fill${over ? " bar__fill--over" : ""}`} style={{ width: `${Math.max(p * 100, 0.5)}%` }} />
              {threshold != null && (
                <span className="bar__threshold" style={{ left: `${threshold * 100}%` }} title={`threshold ${percent(threshold)}`} />
              )}
            </span>
            <span className="bar__value">{percent(p)}</span>
          </li>
        );
      })}
    </ul>
  );
}
