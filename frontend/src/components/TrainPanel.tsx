import { api, ApiError } from "../api/client";
import { percent } from "../lib/format";
import { useMembers } from "../lib/members";
import { queuedJob, useJob } from "../lib/useJob";
import { TrainingWarnings } from "./TrainingWarnings";

/** The Train button, the job's live progress from /jobs/{id}, and how it went. */
export function TrainPanel({ canTrain }: { canTrain: boolean }) {
  const { refresh } = useMembers();
  const { job, error, follow, fail, busy } = useJob(() => refresh());

  const start = async () => {
    fail(null);
    try {
      const accepted = await api.train();
      follow(accepted.job_id, queuedJob(accepted.job_id, "train"));
    } catch (exc) {
      fail(exc instanceof ApiError ? exc.message : String(exc));
    }
  };

  const seconds = job?.result && typeof job.result.seconds === "number" ? job.result.seconds : null;
  // Members the training thinks will be missed or confused, each with what photos to add.

  return (
    <section className="panel train" aria-labelledby="train-heading">
      <h2 id="train-heading">Train</h2>
      <p className="muted">
        Training learns the faces enrolled above (and your corrections). It takes about a minute; photos keep being
        answered by the previous training meanwhile.
      </p>
      <button
        type="button"
        className="button button--primary"
        onClick={() => void start()}
        disabled={busy || !canTrain}
      >
        {busy ? "Training…" : "Train"}
      </button>
      {!canTrain && <p className="muted">Enrol at least one face first.</p>}
      {job && (
        <div className="train__status" role="status" aria-live="polite">
          <progress max={1} value={job.progress} aria-label="Training progress" />
          <span>
            {job.state === "succeeded"
              ? `Training finished${seconds != null ? ` in ${seconds.toFixed(0)} s` : ""}: the new family is in use.`
              : job.state === "failed"
                ? "Training failed."
                : `${percent(job.progress)} · ${job.stage}`}
          </span>
        </div>
      )}
      <TrainingWarnings job={job} />
      {job?.state === "failed" && (
        <p className="error" role="alert">
          {job.error ?? "Training failed."}
        </p>
      )}
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
    </section>
  );
}
