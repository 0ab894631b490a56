import type { Job } from "../api/client";
import { percent, plural } from "../lib/format";
import { isRunning } from "../lib/useJob";

/** A scan's counts as its job's result has them (live while it runs). */
export type ScanCounts = {
  seen: number;
  analysed: number;
  unchanged: number;
  moved: number;
  removed: number;
  skipped: number;
  skips: { file: string; reason: string }[];
  unavailable: string[];
};

function count(value: unknown): number {
  return typeof value === "number" && Number.isFinite(value) ? value : 0;
}

export function scanCounts(result: Job["result"]): ScanCounts {
  const r = result ?? {};
  const skips = Array.isArray(r.skips)
    ? r.skips.filter(
        (s): s is { file: string; reason: string } =>
          typeof s === "object" && s != null && typeof s.file === "string" && typeof s.reason === "string",
      )
    : [];
  return {
    seen: count(r.seen),
    analysed: count(r.analysed),
    unchanged: count(r.unchanged),
    moved: count(r.moved),
    removed: count(r.removed),
    skipped: count(r.skipped),
    skips,
    unavailable: Array.isArray(r.unavailable) ? r.unavailable.filter((u): u is string => typeof u === "string") : [],
  };
}

/** A scan, live or finished: its stage and progress, what it found, and every file it skipped with why. */
export function ScanProgress({ job }: { job: Job }) {
  const c = scanCounts(job.result);
  const running = isRunning(job);
  return (
    <div className="scan">
      <div className="busy-line" role="status" aria-live="polite">
        {running && <progress max={1} value={job.progress} aria-label="Scan progress" />}
        <span>
          {running
            ? `Scanning: ${percent(job.progress)} · ${job.stage}`
            : job.state === "succeeded"
              ? "The last scan is finished."
              : "The last scan failed."}
        </span>
      </div>
      <p className="scan__counts" data-testid="scan-counts">
        {plural(c.seen, "photo")} found · {c.analysed} analysed · {c.unchanged} unchanged
        {c.moved ? ` · ${c.moved} moved` : ""}
        {c.removed ? ` · ${c.removed} removed` : ""} · {c.skipped} skipped
      </p>
      {c.unavailable.length > 0 && (
        <p className="error">
          Not available (their photos are kept): {c.unavailable.join(", ")}
        </p>
      )}
      {c.skips.length > 0 && (
        <details className="scan__skips">
          <summary>
            {plural(c.skipped, "file")} skipped: why
          </summary>
          <ul>
            {c.skips.map((s) => (
              <li key={s.file}>
                <code>{s.file}</code>: {s.reason}
              </li>
            ))}
          </ul>
          {c.skipped > c.skips.length && <p className="muted">…and {c.skipped - c.skips.length} more.</p>}
        </details>
      )}
      {job.state === "failed" && (
        <p className="error" role="alert">
          {job.error ?? "The scan failed."}
        </p>
      )}
    </div>
  );
}
