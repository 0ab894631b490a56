import { plural } from "../lib/format";

type Props = {
  /** What was taken, in words ("Took 3 faces", "Added 2 photos"). */
  taken: string;
  ok: boolean;
  left: { file: string; reason: string }[];
  className?: string;
};

/** What an upload of photos did: what was taken, and each photo left out with why. */
export function UploadOutcome({ taken, ok, left, className }: Props) {
  return (
    <div role="status" className={className}>
      <p className={ok ? "success" : "muted"}>
        {taken}
        {left.length ? `; ${plural(left.length, "photo")} left out:` : "."}
      </p>
      {left.length > 0 && (
        <ul className="rejected">
          {left.map((l) => (
            <li key={l.file}>
              <strong>{l.file}</strong>: {l.reason}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
