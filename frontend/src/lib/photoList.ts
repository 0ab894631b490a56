import type { PhotoQuery } from "../api/client";

/**
 * A list of library photos, newest first: a person's page (`person` and perhaps others `with` them)
 * or all photos (`person` null), with all of `with` or any of them, taken between `from` and `to`
 * (YYYY-MM-DD, both days included).
 *
 * In the URL it is a query (`?with=raj&match=any&from=2024-01-01`): a person's page is
 * `#/people/<name>?…`, all photos `#/photos?…`, and a photo opened from a list `#/photos/<id>?person=<name>&…`,
 * so the viewer walks the same list, and a reload or a shared link shows it again.
 */
export type PhotoList = {
  person: string | null;
  with: string[];
  match: "all" | "any";
  from: string | null;
  to: string | null;
};

const DAY = /^\d{4}-\d{2}-\d{2}$/;

function day(value: string | null): string | null {
  return value && DAY.test(value) ? value : null;
}

function unique(names: string[]): string[] {
  return [...new Set(names.map((n) => n.trim()).filter(Boolean))];
}

/** The members the photos must have (all of them) or may have (any of them). */
export function listMembers(list: PhotoList): string[] {
  return unique([...(list.person ? [list.person] : []), ...list.with]);
}

/** The list a page's query describes; `person` from the path (a person's page) or the query (`person=`, the viewer). */
export function listFromQuery(query: URLSearchParams, person: string | null = query.get("person")): PhotoList {
  return {
    person: person?.trim() || null,
    with: unique(query.getAll("with")).filter((n) => n !== person),
    match: query.get("match") === "any" ? "any" : "all",
    from: day(query.get("from")),
    to: day(query.get("to")),
  };
}

/** The filters of `list` as a query (without its person). */
export function filterQuery(list: PhotoList): URLSearchParams {
  const query = new URLSearchParams();
  for (const m of list.with) query.append("with", m);
  if (list.match === "any" && listMembers(list).length > 1) query.set("match", "any");
  if (list.from) query.set("from", list.from);
  if (list.to) query.set("to", list.to);
  return query;
}

/** The viewer's query: the list a photo was opened from, person included. */
export function viewerQuery(list: PhotoList): URLSearchParams {
  const query = filterQuery(list);
  const out = new URLSearchParams(list.person ? { person: list.person } : {});
  query.forEach((value, key) => out.append(key, value));
  return out;
}

/** One key per list: the same filter, the same cached pages. */
export function listKey(list: PhotoList): string {
  return viewerQuery(list).toString();
}

/** `GET /library/photos`'s query for a page of `list`. */
export function apiQuery(list: PhotoList, cursor: string | null, limit: number): PhotoQuery {
  const members = listMembers(list);
  const query: PhotoQuery = { limit };
  if (members.length) query.member = members;
  if (members.length > 1) query.match = list.match;
  if (list.from) query.from = list.from;
  if (list.to) query.to = list.to;
  if (cursor) query.cursor = cursor;
  return query;
}
