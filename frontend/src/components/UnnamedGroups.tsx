import { useEffect, useState } from "react";
import { api, ApiError, type UnnamedGroup } from "../api/client";
import { plural } from "../lib/format";
import { useLibrary } from "../lib/library";
import { unnamedHref } from "../lib/route";
import { GroupSamples, looksLike } from "./GroupSamples";

/** Cards shown before "Show all N". */
export const FIRST_GROUPS = 8;

/**
 * "Who is this?": the people in the library's photos nobody has named, largest group first, each card
 * opening the group. Asked again whenever a scan, a training or an upload changed the library.
 */
export function UnnamedGroups() {
  const { generation } = useLibrary();
  const [groups, setGroups] = useState<UnnamedGroup[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [all, setAll] = useState(false);

  useEffect(() => {
    let live = true;
    api
      .unnamedGroups()
      .then((found) => live && (setGroups(found), setError(null)))
      .catch((exc) => {
        if (!live) return;
        // A service without the route (older than the web app): nothing to ask about.
        if (exc instanceof ApiError && exc.status === 404) setGroups([]);
        else setError(exc instanceof ApiError ? exc.message : String(exc));
      });
    return () => {
      live = false;
    };
  }, [generation]);

  if (!error && !groups?.length) return null;
  const shown = all ? (groups ?? []) : (groups ?? []).slice(0, FIRST_GROUPS);
  return (
    <section className="panel discover" aria-labelledby="discover-heading">
      <h2 id="discover-heading">Who is this?</h2>
      {error ? (
        <p className="error" role="alert">
          {error}
        </p>
      ) : (
        <p className="muted">
          People in your photos whom nobody has named and the family does not recognise, grouped by face. Open one
          to say who it is.
        </p>
      )}
      {shown.length > 0 && (
        <ul className="groups" aria-labelledby="discover-heading">
          {shown.map((group) => {
            const like = looksLike(group);
            return (
              <li key={group.id}>
                <a className="group-card" href={unnamedHref(group.id)}>
                  <GroupSamples faceIds={group.sample_face_ids} />
                  <span className="visually-hidden">Someone unnamed, </span>
                  <span className="group-card__count">
                    {plural(group.photos, "photo")}
                    {like && <span className="visually-hidden">,</span>}
                  </span>
                  {like && <span className="group-card__like">{like}</span>}
                </a>
              </li>
            );
          })}
        </ul>
      )}
      {!all && groups != null && groups.length > FIRST_GROUPS && (
        <button type="button" className="button button--quiet discover__all" onClick={() => setAll(true)}>
          Show all {groups.length}
        </button>
      )}
    </section>
  );
}
