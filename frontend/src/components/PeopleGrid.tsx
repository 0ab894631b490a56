import { useEffect, useState } from "react";
import { api, ApiError, pictures, type Person } from "../api/client";
import { ServiceImage } from "./ServiceImage";
import { plural } from "../lib/format";
import { useLibrary } from "../lib/library";
import { personHref } from "../lib/route";

/** The family as the library sees them: a face and a photo count each, most photos first. */
export function PeopleGrid() {
  const { generation } = useLibrary();
  const [people, setPeople] = useState<Person[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    api
      .people()
      .then((all) => live && (setPeople([...all].sort((a, b) => b.photos - a.photos)), setError(null)))
      .catch((exc) => live && setError(exc instanceof ApiError ? exc.message : String(exc)));
    return () => {
      live = false;
    };
  }, [generation]);

  if (error)
    return (
      <p className="error" role="alert">
        {error}
      </p>
    );
  if (people == null) return <p className="muted">Loading the people…</p>;
  if (people.length === 0)
    return (
      <p className="muted">
        Nobody yet. Add the family on the Family screen, or open a photo and say who a face is.
      </p>
    );
  return (
    <ul className="people" aria-label="People">
      {people.map((p) => (
        <li key={p.name}>
          <a className="person-card" href={personHref(p.name)}>
            {p.cover_face_id != null ? (
              <ServiceImage className="person-card__face" src={pictures.faceCrop(p.cover_face_id)} alt="" loading="lazy" />
            ) : (
              <span className="person-card__face person-card__face--none" aria-hidden="true">
                {p.name.charAt(0).toUpperCase()}
              </span>
            )}
            <span className="person-card__name">{p.name}</span>{" "}
            <span className="person-card__count">{plural(p.photos, "photo")}</span>
          </a>
        </li>
      ))}
    </ul>
  );
}
