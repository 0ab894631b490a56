import { useCallback, useEffect, useRef, useState } from "react";
import { api, ApiError, type Job } from "../api/client";

export const POLL_MS = 700;

export function isRunning(job: Job | null | undefined): boolean {
  return job != null && (job.state === "queued" || job.state === "running");
}

/** A job just accepted: queued, nothing done yet (until the first poll says more). */
export function queuedJob(id: string, kind: string): Job {
  return { id, kind, state: "queued", progress: 0, stage: "queued", created: "" };
}

/**
 * A background job followed live: `follow(id)` polls `/jobs/{id}` until it succeeds or fails, then
 * calls `onEnd`. Following another job stops following the first.
 */
export function useJob(onEnd?: (job: Job) => void | Promise<void>) {
  const [job, setJob] = useState<Job | null>(null);
  const [error, setError] = useState<string | null>(null);
  const timer = useRef<number | undefined>(undefined);
  const following = useRef<string | null>(null);
  const ended = useRef(onEnd);
  ended.current = onEnd;

  useEffect(
    () => () => {
      window.clearTimeout(timer.current);
      following.current = null;
    },
    [],
  );

  const poll = useCallback(async (jobId: string) => {
    if (following.current !== jobId) return;
    try {
      const current = await api.job(jobId);
      if (following.current !== jobId) return;
      setJob(current);
      if (!isRunning(current)) {
        following.current = null;
        await ended.current?.(current);
        return;
      }
    } catch (exc) {
      if (following.current !== jobId) return;
      if (!(exc instanceof ApiError) || exc.status !== 0) {
        following.current = null;
        setError(exc instanceof ApiError ? exc.message : String(exc));
        return;
      }
      // The service cannot be reached for a moment (restarting): keep asking.
    }
    timer.current = window.setTimeout(() => void poll(jobId), POLL_MS);
  }, []);

  const follow = useCallback(
    (jobId: string, initial?: Job) => {
      if (following.current === jobId) return;
      window.clearTimeout(timer.current);
      following.current = jobId;
      setError(null);
      setJob(initial ?? queuedJob(jobId, "job"));
      void poll(jobId);
    },
    [poll],
  );

  const fail = useCallback((message: string | null) => setError(message), []);

  return { job, error, follow, fail, busy: isRunning(job) };
}
