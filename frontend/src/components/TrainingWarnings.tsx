import type { Job } from "../api/client";

/** A finished training's warnings (members it may miss or confuse, with what photos to add); nothing otherwise. */
export function TrainingWarnings({ job }: { job: Job | null | undefined }) {
  const warnings =
    job?.state === "succeeded" && Array.isArray(job.result?.warnings)
      ? job.result.warnings.filter((w): w is string => typeof w === "string")
      : [];
  if (!warnings.length) return null;
  return (
    <div className="train__warnings">
      <h3>Who may not be recognised yet</h3>
      <ul>
        {warnings.map((w) => (
          <li key={w}>{w}</li>
        ))}
      </ul>
    </div>
  );
}
