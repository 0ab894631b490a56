import { plural } from "../lib/format";
import { useLibrary } from "../lib/library";
import { TrainingProgress } from "./TrainingProgress";
import { TrainingWarnings } from "./TrainingWarnings";

/** What the library's family has not learnt yet, a Train now button, and the training's progress. */
export function TrainingStatus() {
  const { changes, status, training } = useLibrary();
  const job = training.job;

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
      {job && <TrainingProgress job={job} />}
      {/* Members the training thinks will be missed or confused (a new person with one face), with what to add. */}
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
