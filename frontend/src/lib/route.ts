import { useEffect, useState } from "react";

/** The screens in the navigation, addressed by the URL hash so no app path collides with an API path. */
export type Route = "photo" | "family" | "batch" | "people";

export const ROUTES: Record<Route, string> = {
  photo: "#/",
  family: "#/family",
  batch: "#/batch",
  people: "#/people",
};

/**
 * Where the app is: a screen of the navigation, a person's page (`#/people/<name>?with=…`), a group of
 * faces nobody has named yet ("Who is this?": `#/people/unnamed/<id>`; a name is always one path segment,
 * its slashes encoded, so no person's page is taken for it), all the
 * library's photos (`#/photos?…`) or one of them (`#/photos/<id>?person=…`), whose query is the list
 * it was opened from (src/lib/photoList.ts).
 */
export type Place =
  | { screen: Route }
  | { screen: "person"; name: string; query: URLSearchParams }
  | { screen: "unnamed"; groupId: number }
  | { screen: "photos"; query: URLSearchParams }
  | { screen: "viewer"; photoId: number; query: URLSearchParams };

export function parsePlace(hash: string): Place | null {
  if (!hash) return null;
  const body = hash.replace(/^#\/?/, "");
  const [path, search = ""] = body.split(/\?(.*)/s, 2);
  const query = new URLSearchParams(search);
  const [first, ...rest] = path.split("/");
  const second = rest.join("/");
  if (first === "family" || first === "batch") return { screen: first };
  if (first === "people") {
    if (!second) return { screen: "people" };
    const group = /^unnamed\/(\d+)$/.exec(second);
    if (group && Number(group[1]) > 0) return { screen: "unnamed", groupId: Number(group[1]) };
    return { screen: "person", name: safeDecode(second), query };
  }
  if (first === "photos") {
    if (!second) return { screen: "photos", query };
    const id = Number(second);
    if (Number.isInteger(id) && id > 0) return { screen: "viewer", photoId: id, query };
    return { screen: "photos", query: new URLSearchParams() };
  }
  return { screen: "photo" };
}

/** The screen of the navigation a place belongs to (a person, their photos, a photo: People). */
export function navRoute(place: Place): Route {
  return place.screen === "person" || place.screen === "unnamed" || place.screen === "photos" || place.screen === "viewer"
    ? "people"
    : place.screen;
}

export function personHref(name: string, query?: URLSearchParams): string {
  const search = query?.toString();
  return `#/people/${encodeURIComponent(name)}${search ? `?${search}` : ""}`;
}

/** A group of faces nobody has named yet. */
export function unnamedHref(groupId: number): string {
  return `#/people/unnamed/${groupId}`;
}

/** A person's page, or all photos when `person` is null. */
export function listHref(person: string | null, query?: URLSearchParams): string {
  if (person) return personHref(person, query);
  const search = query?.toString();
  return `#/photos${search ? `?${search}` : ""}`;
}

export function photoHref(photoId: number, query?: URLSearchParams): string {
  const search = query?.toString();
  return `#/photos/${photoId}${search ? `?${search}` : ""}`;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** The current place (null: no hash yet, the app picks one) and a way to go to a screen of the navigation. */
export function useRoute(): [Place | null, (route: Route) => void] {
  const [place, setPlace] = useState(() => parsePlace(window.location.hash));
  useEffect(() => {
    const onChange = () => setPlace(parsePlace(window.location.hash));
    window.addEventListener("hashchange", onChange);
    return () => window.removeEventListener("hashchange", onChange);
  }, []);
  const go = (next: Route) => {
    window.location.hash = ROUTES[next];
    setPlace({ screen: next });
  };
  return [place, go];
}

/** Go to `href` (a hash) in place of the current entry: filters and prev/next do not fill the history. */
export function replaceHash(href: string): void {
  const url = new URL(window.location.href);
  url.hash = href;
  window.history.replaceState(window.history.state, "", url);
  window.dispatchEvent(new HashChangeEvent("hashchange"));
}
