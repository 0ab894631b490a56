import { useEffect, useRef, useState } from "react";
import { api, ApiError } from "../api/client";
import { DropZone } from "../components/DropZone";
import { PhotoCard, type PhotoItem } from "../components/PhotoCard";
import { ROUTES } from "../lib/route";
import { useMembers } from "../lib/members";

const CONCURRENT = 2; // the service runs a couple at once; more would only queue there

/** Who's in this photo: drop, pick or paste photos; each shows its faces, names and bars. */
export function PhotoScreen() {
  const { members } = useMembers();
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
        .predict(item.file)
        .then((prediction) => update(item.id, { state: "done", prediction }))
        .catch((exc) => update(item.id, { state: "error", error: exc instanceof ApiError ? exc.message : String(exc) }))
        .finally(() => {
          running.current -= 1;
          setItems((all) => [...all]); // let the effect start the next one
        });
    }
  }, [items]);

  useEffect(() => () => urls.current.forEach((u) => URL.revokeObjectURL(u)), []);

  const add = (files: File[]) => {
    const added = files.map((file): PhotoItem => {
      const url = URL.createObjectURL(file);
      urls.current.add(url);
      return { id: nextId.current++, file, url, state: "waiting" };
    });
    setItems((all) => [...added, ...all]);
  };

  const remove = (item: PhotoItem) => {
    URL.revokeObjectURL(item.url);
    urls.current.delete(item.url);
    setItems((all) => all.filter((it) => it.id !== item.id));
  };

  const untrained = members != null && !members.some((m) => m.threshold != null);

  return (
    <section aria-labelledby="photo-heading">
      <h1 id="photo-heading">Who’s in this photo?</h1>
      {untrained && (
        <p className="notice">
          No family has been trained yet, so every face will show as a stranger.{" "}
          <a href={ROUTES.family}>Teach it your family</a> first.
        </p>
      )}
      <DropZone
        onFiles={add}
        acceptPaste
        label="Choose photos"
        hint="…or drop photos here, or paste one (Ctrl+V / ⌘V). They are only sent to your own photo service."
      />
      {items.length > 0 && (
        <div className="photos">
          {items.length > 1 && (
            <p className="muted">
              <button
                type="button"
                className="button button--quiet button--small"
                onClick={() => items.forEach(remove)}
              >
                Clear all photos
              </button>
            </p>
          )}
          {items.map((item) => (
            <PhotoCard key={item.id} item={item} onRemove={() => remove(item)} />
          ))}
        </div>
      )}
    </section>
  );
}
