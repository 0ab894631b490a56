import { percent, plural } from "../lib/format";
import { useLibrary } from "../lib/library";
import { TrainingWarnings } from "./TrainingWarnings";

/** What the library's family has not learnt yet, a Train now button, and the training's progress. */
export function TrainingStatus() {
  const { changes, status, training } = useLibrary();
  const job = training.job;
  const decided = job?.state === "succeeded" ? libraryOutcome(job.result) : null;
  // Members the training thinks will be missed or confused (a new person with one face), with what to add.

  return (
    <div className="training">
      <p data-testid="changes">
        {changes == null
          ? ""
          : changes === 0
            ? "The family has learnt every name given so far."
            : `${plural(changes, "change")} since the last training.`}
        {status && status.retrain_after > 0 && changes != null && changes > 0
          ? ` It trains by itself after ${plural(status.retrain_after, "change")}.`
          : ""}
      </p>
      <button
        type="button"
        className="button button--primary"
        onClick={() => void training.start()}
        disabled={training.busy}
      >
        {training.busy ? "Training…" : "Train now"}
      </button>
      {job && (
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
      )}
      <TrainingWarnings job={job} />
      {job?.state === "failed" && (
        <p className="error" role="alert">
          {job.error ?? "Training failed."}
        </p>
      )}
      {training.error && (
        <p className="error" role="alert">
          {training.error}
        </p>
      )}
    </div>
  );
}

/** The train job's `library` result: the faces decided again after it. */
function libraryOutcome(result: Record<string, unknown> | null | undefined): { changed: number } | null {
  const library = result?.library;
  if (typeof library !== "object" || library == null || !("changed" in library)) return null;
  return typeof library.changed === "number" ? { changed: library.changed } : null;
}
