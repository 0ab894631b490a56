import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from "react";
import { api, ApiError, type BatchItem } from "../api/client";
import { splitBySize } from "./limits";

const CHUNK = 8; // photos per /predict/batch request: steady progress, well under the service's limit

export type BatchRow = { id: number; file: File; url: string; item?: BatchItem; error?: string };

/** "" all photos, a member's name, or STRANGERS. */
export const ANYONE = "";
export const STRANGERS = "\u0000strangers";

type BatchSession = {
  rows: BatchRow[];
  pending: number;
  filter: string;
  setFilter: (filter: string) => void;
  add: (files: File[]) => Promise<void>;
  clear: () => void;
};

const BatchSessionContext = createContext<BatchSession | null>(null);

/** The "Many photos" table, kept above the screens: still there (and still filling) after visiting another. */
export function BatchSessionProvider({ children }: { children: ReactNode }) {
  const [rows, setRows] = useState<BatchRow[]>([]);
  const [filter, setFilter] = useState(ANYONE);
  const [pending, setPending] = useState(0);
  const nextId = useRef(1);
  const queue = useRef<Promise<void>>(Promise.resolve());

  const latest = useRef(rows);
  latest.current = rows;
  useEffect(() => () => latest.current.forEach((r) => URL.revokeObjectURL(r.url)), []);

  const add = useCallback(async (files: File[]) => {
    const { refused } = await splitBySize(files);
    const added = files.map((file) => ({
      id: nextId.current++,
      file,
      url: URL.createObjectURL(file),
      error: refused.get(file),
    }));
    const sent = added.filter((r) => r.error === undefined);
    setRows((all) => [...all, ...added]);
    setPending((n) => n + sent.length);
    for (let i = 0; i < sent.length; i += CHUNK) {
      const chunk = sent.slice(i, i + CHUNK);
      queue.current = queue.current.then(async () => {
        let results: Map<number, Partial<BatchRow>>;
        try {
          const items = await api.predictBatch(chunk.map((r) => r.file));
          results = new Map(chunk.map((r, k) => [r.id, { item: items[k] }]));
        } catch (exc) {
          const message = exc instanceof ApiError ? exc.message : String(exc);
          results = new Map(chunk.map((r) => [r.id, { error: message }]));
        }
        setRows((all) => all.map((r) => (results.has(r.id) ? { ...r, ...results.get(r.id) } : r)));
        setPending((n) => n - chunk.length);
      });
    }
  }, []);

  const clear = useCallback(() => {
    latest.current.forEach((r) => URL.revokeObjectURL(r.url));
    setRows([]);
    setFilter(ANYONE);
  }, []);

  const value = useMemo(() => ({ rows, pending, filter, setFilter, add, clear }), [rows, pending, filter, add, clear]);
  return <BatchSessionContext.Provider value={value}>{children}</BatchSessionContext.Provider>;
}

export function useBatchSession(): BatchSession {
  const session = useContext(BatchSessionContext);
  if (!session) throw new Error("useBatchSession needs a BatchSessionProvider above it");
  return session;
}
