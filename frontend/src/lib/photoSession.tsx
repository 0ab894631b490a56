import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from "react";
import { api, ApiError } from "../api/client";
import type { PhotoItem } from "../components/PhotoCard";
import { isHeic } from "./format";
import { splitBySize } from "./limits";

const CONCURRENT = 2; // the service runs a couple at once; more would only queue there

type PhotoSession = {
  items: PhotoItem[];
  add: (files: File[]) => Promise<void>;
  remove: (item: PhotoItem) => void;
  clear: () => void;
};

const PhotoSessionContext = createContext<PhotoSession | null>(null);

/**
 * The photos dropped on "Who's in this photo" and their answers, kept above the screens: they are
 * still there (and still being answered) after a visit to another screen.
 */
export function PhotoSessionProvider({ children }: { children: ReactNode }) {
  const [items, setItems] = useState<PhotoItem[]>([]);
  const nextId = useRef(1);
  const running = useRef(0);
  const urls = useRef(new Set<string>());

  const update = (id: number, patch: Partial<PhotoItem>) =>
    setItems((all) => all.map((it) => (it.id === id ? { ...it, ...patch } : it)));

  // Start waiting photos while fewer than CONCURRENT run.
  useEffect(() => {
    const waiting = items.filter((it) => it.state === "waiting");
    for (const item of waiting.slice(0, Math.max(0, CONCURRENT - running.current))) {
      running.current += 1;
      update(item.id, { state: "running" });
      api
        .predict(item.file, undefined, isHeic(item.file))
        .then((prediction) => update(item.id, { state: "done", prediction }))
        .catch((exc) => update(item.id, { state: "error", error: exc instanceof ApiError ? exc.message : String(exc) }))
        .finally(() => {
          running.current -= 1;
          setItems((all) => [...all]); // let the effect start the next one
        });
    }
  }, [items]);

  useEffect(() => () => urls.current.forEach((u) => URL.revokeObjectURL(u)), []);

  const add = useCallback(async (files: File[]) => {
    const { refused } = await splitBySize(files);
    const added = files.map((file): PhotoItem => {
      const url = URL.createObjectURL(file);
      urls.current.add(url);
      const why = refused.get(file);
      return why
        ? { id: nextId.current++, file, url, state: "error", error: why }
        : { id: nextId.current++, file, url, state: "waiting" };
    });
    setItems((all) => [...added, ...all]);
  }, []);

  const remove = useCallback((item: PhotoItem) => {
    URL.revokeObjectURL(item.url);
    urls.current.delete(item.url);
    setItems((all) => all.filter((it) => it.id !== item.id));
  }, []);

  const clear = useCallback(() => {
    urls.current.forEach((u) => URL.revokeObjectURL(u));
    urls.current.clear();
    setItems([]);
  }, []);

  const value = useMemo(() => ({ items, add, remove, clear }), [items, add, remove, clear]);
  return <PhotoSessionContext.Provider value={value}>{children}</PhotoSessionContext.Provider>;
}

export function usePhotoSession(): PhotoSession {
  const session = useContext(PhotoSessionContext);
  if (!session) throw new Error("usePhotoSession needs a PhotoSessionProvider above it");
  return session;
}
