import { createContext, useCallback, useContext, useMemo, useRef, useState, type ReactNode } from "react";
import { api, ApiError, type Job, type LibraryStatus } from "../api/client";
import { useMembers } from "./members";
import { usePhotoLists } from "./photoLists";
import { isRunning, queuedJob, useJob } from "./useJob";

type Followed = {
  job: Job | null;
  error: string | null;
  busy: boolean;
  start: () => Promise<void>;
};

export type Library = {
  status: LibraryStatus | null; // null until a screen asks for it
  error: string | null;
  refresh: () => Promise<void>;
  scan: Followed;
  training: Followed & { follow: (jobId: string) => void };
  /** Names, undos and member changes the served family has not learnt yet (null: not known yet). */
  changes: number | null;
  setChanges: (n: number) => void;
  /** Counts up whenever a scan, a training or an upload changed the library: screens load again. */
  generation: number;
  /** The library changed (photos uploaded): lists reload, the status is asked again. */
  changed: () => Promise<void>;
};

const LibraryContext = createContext<Library | null>(null);

/**
 * The library's status, its scan and its training, kept above the screens: a scan or a training
 * started on one screen still shows its progress on another, and every list reloads after it.
 */
export function LibraryProvider({ children }: { children: ReactNode }) {
  const { refresh: refreshMembers } = useMembers();
  const { markStale } = usePhotoLists();
  const [status, setStatus] = useState<LibraryStatus | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [changes, setChanges] = useState<number | null>(null);
  const [generation, setGeneration] = useState(0);
  const followRef = useRef<{ scan: (id: string, job?: Job) => void; train: (id: string, job?: Job) => void }>(null);

  const refresh = useCallback(async () => {
    try {
      const next = await api.library();
      setStatus(next);
      setChanges(next.changes_since_training);
      setError(null);
      // A scan or a training already running (started elsewhere, or before a reload): show it live.
      if (isRunning(next.scan)) followRef.current?.scan(next.scan!.id, next.scan!);
      if (isRunning(next.training)) followRef.current?.train(next.training!.id, next.training!);
    } catch (exc) {
      setError(exc instanceof ApiError ? exc.message : String(exc));
    }
  }, []);

  const changed = useCallback(async () => {
    markStale();
    setGeneration((g) => g + 1);
    await refresh();
  }, [markStale, refresh]);

  const scanJob = useJob(changed);
  const trainJob = useJob(async (job) => {
    await Promise.all([changed(), job.state === "succeeded" ? refreshMembers() : Promise.resolve()]);
  });
  followRef.current = { scan: scanJob.follow, train: trainJob.follow };

  const startScan = useCallback(async () => {
    scanJob.fail(null);
    try {
      const accepted = await api.scan();
      scanJob.follow(accepted.job_id, queuedJob(accepted.job_id, "scan"));
    } catch (exc) {
      scanJob.fail(exc instanceof ApiError ? exc.message : String(exc));
    }
  }, [scanJob.fail, scanJob.follow]); // eslint-disable-line react-hooks/exhaustive-deps

  const startTraining = useCallback(async () => {
    trainJob.fail(null);
    try {
      const accepted = await api.train();
      trainJob.follow(accepted.job_id, queuedJob(accepted.job_id, "train"));
    } catch (exc) {
      trainJob.fail(exc instanceof ApiError ? exc.message : String(exc));
    }
  }, [trainJob.fail, trainJob.follow]); // eslint-disable-line react-hooks/exhaustive-deps

  const value = useMemo<Library>(
    () => ({
      status,
      error,
      refresh,
      scan: { job: scanJob.job, error: scanJob.error, busy: scanJob.busy, start: startScan },
      training: {
        job: trainJob.job,
        error: trainJob.error,
        busy: trainJob.busy,
        start: startTraining,
        follow: (id: string) => trainJob.follow(id, queuedJob(id, "train")),
      },
      changes,
      setChanges,
      generation,
      changed,
    }),
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [status, error, refresh, scanJob.job, scanJob.error, trainJob.job, trainJob.error, changes, generation, changed],
  );
  return <LibraryContext.Provider value={value}>{children}</LibraryContext.Provider>;
}

export function useLibrary(): Library {
  const library = useContext(LibraryContext);
  if (!library) throw new Error("useLibrary needs a LibraryProvider above it");
  return library;
}
