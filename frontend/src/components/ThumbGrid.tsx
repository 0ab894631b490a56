import { pictures, type LibraryPhoto } from "../api/client";
import { ServiceImage } from "./ServiceImage";
import { listNames } from "../lib/format";
import { viewerQuery, type PhotoList } from "../lib/photoList";
import { photoHref } from "../lib/route";

/** The day a photo was taken, as the service says it (YYYY-MM-DD). */
export function takenOn(photo: LibraryPhoto): string {
  return photo.taken_at.slice(0, 10);
}

export function photoAlt(photo: LibraryPhoto): string {
  const who = photo.present.length ? listNames(photo.present) : "nobody of the family";
  return `Taken ${takenOn(photo)}, with ${who}`;
}

/** Thumbnails, each opening the photo in the viewer with the list it belongs to. */
export function ThumbGrid({ photos, list }: { photos: LibraryPhoto[]; list: PhotoList }) {
  const query = viewerQuery(list);
  return (
    <ul className="thumbs" aria-label="Photos">
      {photos.map((photo) => (
        <li key={photo.id}>
          <a className="thumbs__link" href={photoHref(photo.id, query)}>
            <ServiceImage src={pictures.thumbnail(photo.id)} alt={photoAlt(photo)} loading="lazy" />
          </a>
        </li>
      ))}
    </ul>
  );
}
