import type { Job } from "../api/client";
import { percent, plural } from "../lib/format";

/** A training's progress, live, then how it ended (and how many of the library's faces it named again). */
export function TrainingProgress({ job }: { job: Job }) {
  const decided = job.state === "succeeded" ? libraryOutcome(job.result) : null;
  return (
    <div className="busy-line" role="status" aria-live="polite">
      <progress max={1} value={job.progress} aria-label="Training progress" />
      <span>
        {job.state === "succeeded"
          ? `Training finished: the new family is in use${decided ? `, and the library is named again (${plural(decided.changed, "face")} changed)` : ""}.`
          : job.state === "failed"
            ? "Training failed."
            : `Training: ${percent(job.progress)} · ${job.stage}`}
      </span>
    </div>
  );
}

/** The train job's `library` result: the faces decided again after it. */
function libraryOutcome(result: Record<string, unknown> | null | undefined): { changed: number } | null {
  const library = result?.library;
  if (typeof library !== "object" || library == null || !("changed" in library)) return null;
  return typeof library.changed === "number" ? { changed: library.changed } : null;
}
