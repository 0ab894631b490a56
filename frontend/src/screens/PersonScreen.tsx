import { useEffect, useMemo, useState } from "react";
import { LoadMore } from "../components/LoadMore";
import { PhotoFilters } from "../components/PhotoFilters";
import { ThumbGrid } from "../components/ThumbGrid";
import { TrainingProgress } from "../components/TrainingProgress";
import { plural } from "../lib/format";
import { useLibrary } from "../lib/library";
import { filterQuery, listFromQuery, listKey, type PhotoList } from "../lib/photoList";
import { usePhotoList } from "../lib/photoLists";
import { listHref, replaceHash, ROUTES } from "../lib/route";

type Props = { name: string | null; query: URLSearchParams };

/** A person's photos (or all photos: `name` null), newest first, filtered by when and with whom. */
export function PersonScreen({ name, query }: Props) {
  const search = query.toString();
  const list = useMemo(() => listFromQuery(new URLSearchParams(search), name), [name, search]);
  const { state, loadMore, reload } = usePhotoList(list);
  const key = listKey(list);
  // A training running while the page is open (just named here from "Who is this?"): its progress, then its end.
  const { training } = useLibrary();
  const [watching, setWatching] = useState(false);
  useEffect(() => {
    if (training.busy) setWatching(true);
  }, [training.busy]);

  useEffect(() => {
    if (state.loading) return;
    if (!state.started && !state.error) void loadMore();
    else if (state.stale) void reload();
  }, [key, state.stale, state.loading]); // eslint-disable-line react-hooks/exhaustive-deps

  const change = (next: PhotoList) => replaceHash(listHref(name, filterQuery(next)));
  const filtered = list.with.length > 0 || list.from != null || list.to != null;
  const heading = name ?? "All photos";

  return (
    <section aria-labelledby="person-heading">
      <p className="crumbs">
        <a href={ROUTES.people}>← People</a>
      </p>
      <h1 id="person-heading">{heading}</h1>
      {watching && training.job && <TrainingProgress job={training.job} />}
      <PhotoFilters list={list} onChange={change} />
      <p role="status" className="list-total" data-testid="total">
        {state.total == null
          ? state.loading
            ? "Loading…"
            : ""
          : `${plural(state.total, "photo")}${filtered ? " match" : ""}${state.items.length < state.total ? ` · showing ${state.items.length}` : ""}`}
      </p>
      {state.error && (
        <p className="error" role="alert">
          {state.error}{" "}
          <button type="button" className="button button--small" onClick={() => void reload()}>
            Try again
          </button>
        </p>
      )}
      {state.started && state.items.length === 0 && !state.loading && (
        <p className="muted">
          {filtered ? "No photo matches these filters." : `No photos of ${name ?? "anyone"} in the library yet.`}
        </p>
      )}
      <ThumbGrid photos={state.items} list={list} />
      <LoadMore more={state.next != null} loading={state.loading && state.started} onMore={() => void loadMore()} />
    </section>
  );
}
