import { createContext, useCallback, useContext, useMemo, useRef, useState, type ReactNode } from "react";
import { api, ApiError, type LibraryPhoto } from "../api/client";
import { apiQuery, listKey, type PhotoList } from "./photoList";

export const PAGE_SIZE = 50;

/** The pages of one list loaded so far. */
export type ListState = {
  items: LibraryPhoto[];
  next: string | null; // the cursor of the next page; null: no more (or nothing loaded yet: see `started`)
  total: number | null; // photos in the whole list, from the first page on
  started: boolean;
  loading: boolean;
  error: string | null;
  stale: boolean; // a name or a training changed the library since it loaded: reload it when shown again
};

export const EMPTY_LIST: ListState = {
  items: [],
  next: null,
  total: null,
  started: false,
  loading: false,
  error: null,
  stale: false,
};

type Lists = {
  lists: Record<string, ListState>;
  /** The next page of `list` (the first if none yet); resolves to the list's state after it. */
  loadMore: (list: PhotoList) => Promise<ListState>;
  /** Forget what was loaded and load the first page again. */
  reload: (list: PhotoList) => Promise<ListState>;
  /** A photo changed (a face named): every list holding it shows the new one. */
  replacePhoto: (photo: LibraryPhoto) => void;
  /** The library changed: lists reload when shown again. */
  markStale: () => void;
};

const ListsContext = createContext<Lists | null>(null);

/**
 * The library's photo lists as loaded so far, kept above the screens: a person's page shows what it
 * had when you come back, and the photo viewer walks the list it was opened from.
 */
export function PhotoListsProvider({ children }: { children: ReactNode }) {
  const [lists, setLists] = useState<Record<string, ListState>>({});
  const current = useRef(lists);
  const inflight = useRef(new Map<string, Promise<ListState>>());
  const generation = useRef(new Map<string, number>());

  const write = useCallback((key: string, state: ListState) => {
    current.current = { ...current.current, [key]: state };
    setLists(current.current);
    return state;
  }, []);

  const fetchPage = useCallback(
    (list: PhotoList, fresh: boolean): Promise<ListState> => {
      const key = listKey(list);
      const running = inflight.current.get(key);
      if (running && !fresh) return running;
      const before = fresh ? EMPTY_LIST : (current.current[key] ?? EMPTY_LIST);
      if (before.started && before.next == null && !fresh) return Promise.resolve(before);
      const gen = (generation.current.get(key) ?? 0) + 1;
      generation.current.set(key, gen);
      write(key, { ...before, loading: true, error: null });
      const promise = api
        .photos(apiQuery(list, before.next, PAGE_SIZE))
        .then((page): ListState => {
          const seen = new Set(before.items.map((p) => p.id));
          return {
            items: [...before.items, ...page.items.filter((p) => !seen.has(p.id))],
            next: page.next_cursor ?? null,
            total: page.total,
            started: true,
            loading: false,
            error: null,
            stale: fresh ? false : before.stale, // a page more of a stale list is no fresher
          };
        })
        .catch((exc): ListState => ({
          ...before,
          loading: false,
          error: exc instanceof ApiError ? exc.message : String(exc),
        }))
        .then((state) => {
          if (generation.current.get(key) !== gen) return current.current[key] ?? EMPTY_LIST; // reloaded meanwhile
          inflight.current.delete(key);
          return write(key, state);
        });
      inflight.current.set(key, promise);
      return promise;
    },
    [write],
  );

  const loadMore = useCallback((list: PhotoList) => fetchPage(list, false), [fetchPage]);
  const reload = useCallback((list: PhotoList) => fetchPage(list, true), [fetchPage]);

  const replacePhoto = useCallback((photo: LibraryPhoto) => {
    const next: Record<string, ListState> = {};
    for (const [key, state] of Object.entries(current.current)) {
      next[key] = state.items.some((p) => p.id === photo.id)
        ? { ...state, items: state.items.map((p) => (p.id === photo.id ? photo : p)) }
        : state;
    }
    current.current = next;
    setLists(next);
  }, []);

  const markStale = useCallback(() => {
    current.current = Object.fromEntries(Object.entries(current.current).map(([k, s]) => [k, { ...s, stale: true }]));
    setLists(current.current);
  }, []);

  const value = useMemo(
    () => ({ lists, loadMore, reload, replacePhoto, markStale }),
    [lists, loadMore, reload, replacePhoto, markStale],
  );
  return <ListsContext.Provider value={value}>{children}</ListsContext.Provider>;
}

export function usePhotoLists(): Lists {
  const lists = useContext(ListsContext);
  if (!lists) throw new Error("usePhotoLists needs a PhotoListsProvider above it");
  return lists;
}

/** One list: what is loaded, and the way to load more or again. */
export function usePhotoList(list: PhotoList) {
  const { lists, loadMore, reload } = usePhotoLists();
  const state = lists[listKey(list)] ?? EMPTY_LIST;
  return {
    state,
    loadMore: () => loadMore(list),
    reload: () => reload(list),
  };
}
