import { useCallback, useEffect, useMemo, useState } from "react";
import { api, ApiError, type LibraryPhoto, type NamedFace } from "../api/client";
import { FaceList } from "../components/FaceList";
import { takenOn } from "../components/ThumbGrid";
import { TrainingStatus } from "../components/TrainingStatus";
import { ViewerFrame } from "../components/ViewerFrame";
import { useLibrary } from "../lib/library";
import { leftToRight } from "../lib/faceOrder";
import { withFace } from "../lib/libraryFaces";
import { useMembers } from "../lib/members";
import { filterQuery, listFromQuery, listKey, viewerQuery } from "../lib/photoList";
import { PAGE_SIZE, usePhotoList, usePhotoLists } from "../lib/photoLists";
import { listHref, photoHref, replaceHash } from "../lib/route";

type Props = { photoId: number; query: URLSearchParams };

const MAX_PAGES_TO_FIND = 20; // pages loaded to find the open photo in its list before giving up on prev/next

/** Keys typed into a field are the field's, not the viewer's. */
function typing(target: EventTarget | null): boolean {
  return (
    target instanceof HTMLElement &&
    (target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName))
  );
}

function said(result: NamedFace, what: string): string {
  if (what === "undo") return "Undone: the family decides this face again.";
  if (what === "nobody") return "Saved: not in the family.";
  return result.created_member ? `Saved: ${what}, new to the family.` : `Saved: ${what}.`;
}

/** One library photo: every face boxed and named, named here; previous and next in the list it came from. */
export function ViewerScreen({ photoId, query }: Props) {
  const search = query.toString();
  const list = useMemo(() => listFromQuery(new URLSearchParams(search)), [search]);
  const { state, loadMore } = usePhotoList(list);
  const { replacePhoto, markStale } = usePhotoLists();
  const { refresh: refreshLibrary, setChanges, training, generation } = useLibrary();
  const { refresh: refreshMembers } = useMembers();
  const cached = state.items.find((p) => p.id === photoId) ?? null;
  const [fresh, setFresh] = useState<LibraryPhoto | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [selected, setSelected] = useState<number | null>(null);
  const [messages, setMessages] = useState<Record<number, string>>({});
  const known = fresh?.id === photoId ? fresh : cached;
  // Numbered left to right, as the service lists them (and so, whatever it did).
  const photo = useMemo(() => known && { ...known, faces: leftToRight(known.faces) }, [known]);

  // The photo as the service has it now (the list's copy shows meanwhile).
  const load = useCallback(async () => {
    try {
      const p = await api.photo(photoId);
      setFresh(p);
      setError(null);
      return p;
    } catch (exc) {
      setError(
        exc instanceof ApiError && exc.status === 404
          ? "This photo is not in the library (any more). Go back to the list and pick another."
          : exc instanceof ApiError
            ? exc.message
            : String(exc),
      );
      return null;
    }
  }, [photoId]);

  useEffect(() => {
    setSelected(null);
    setMessages({});
    void load();
  }, [load]);

  useEffect(() => {
    void refreshLibrary(); // the changes not learnt yet, and a training already running
  }, [refreshLibrary]);

  // A training (or a scan) finished: the library was decided again, so is this photo.
  useEffect(() => {
    if (generation > 0) void load();
  }, [generation]); // eslint-disable-line react-hooks/exhaustive-deps

  // A face picked on the photo: its entry comes into sight (below the photo on a phone).
  const pickOnPhoto = (faceId: number) => {
    setSelected(faceId);
    requestAnimationFrame(() =>
      document.querySelector(`[data-face-id="${faceId}"]`)?.scrollIntoView?.({ block: "nearest" }),
    );
  };

  // Find the photo in its list (loading pages as needed) to know what comes before and after it.
  const index = state.items.findIndex((p) => p.id === photoId);
  const pagesLoaded = Math.ceil(state.items.length / PAGE_SIZE);
  useEffect(() => {
    if (state.loading || state.error) return;
    if (!state.started || (index < 0 && state.next != null && pagesLoaded < MAX_PAGES_TO_FIND)) void loadMore();
  }, [listKey(list), state.started, state.loading, index, state.next]); // eslint-disable-line react-hooks/exhaustive-deps

  const prev = index > 0 ? state.items[index - 1] : null;
  const next = index >= 0 ? (state.items[index + 1] ?? null) : null;
  const canNext = next != null || (index >= 0 && index === state.items.length - 1 && state.next != null);

  const go = useCallback((id: number) => replaceHash(photoHref(id, viewerQuery(list))), [list]);
  const goNext = useCallback(async () => {
    if (next) return go(next.id);
    if (!canNext) return;
    const after = await loadMore();
    const at = after.items.findIndex((p) => p.id === photoId);
    if (at >= 0 && after.items[at + 1]) go(after.items[at + 1].id);
  }, [next, canNext, go, loadMore, photoId]);
  const goPrev = useCallback(() => prev && go(prev.id), [prev, go]);

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey || typing(event.target)) return;
      if (event.key === "ArrowLeft" && prev) {
        event.preventDefault();
        goPrev();
      } else if (event.key === "ArrowRight" && canNext) {
        event.preventDefault();
        void goNext();
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [prev, canNext, goPrev, goNext]);

  const named = async (result: NamedFace, what: string) => {
    // The change shows at once, from the answer; then the whole photo again (a name can move another face's guess).
    if (photo) {
      const now = withFace(photo, result.face);
      setFresh(now);
      replacePhoto(now);
    }
    setMessages((m) => ({ ...m, [result.face.id]: said(result, what) }));
    setChanges(result.changes_since_training);
    markStale();
    if (result.training_job_id) training.follow(result.training_job_id);
    if (result.created_member) void refreshMembers();
    const again = await load();
    if (again) replacePhoto(again);
  };

  const back = listHref(list.person, filterQuery(list));
  const position = index >= 0 ? `Photo ${index + 1} of ${state.total ?? state.items.length}` : "";

  return (
    <section className="viewer" aria-labelledby="viewer-heading">
      <div className="viewer__bar">
        <a href={back}>← {list.person ?? "All photos"}</a>
        <h1 id="viewer-heading" className="viewer__title">
          {photo ? `Taken ${takenOn(photo)}` : "Photo"}
        </h1>
        <span className="muted" data-testid="position">
          {position}
        </span>
        <div className="viewer__nav">
          <button
            type="button"
            className="button"
            onClick={goPrev}
            disabled={!prev}
            aria-label="Previous photo"
            aria-keyshortcuts="ArrowLeft"
          >
            ←<span className="viewer__navword">Previous</span>
          </button>
          <button
            type="button"
            className="button"
            onClick={() => void goNext()}
            disabled={!canNext}
            aria-label="Next photo"
            aria-keyshortcuts="ArrowRight"
          >
            <span className="viewer__navword">Next</span>→
          </button>
        </div>
      </div>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {photo ? (
        <div className="viewer__body">
          <ViewerFrame photo={photo} selected={selected} onSelect={pickOnPhoto} />
          <div className="viewer__side">
            <p className="muted viewer__help">Pick a face to say who it is.</p>
            <FaceList
              photo={photo}
              selected={selected}
              onSelect={setSelected}
              onNamed={(r, w) => void named(r, w)}
              messages={messages}
            />
            <TrainingStatus />
          </div>
        </div>
      ) : (
        !error && <p className="muted">Loading the photo…</p>
      )}
    </section>
  );
}
