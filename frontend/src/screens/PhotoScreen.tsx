import { DropZone } from "../components/DropZone";
import { PhotoCard } from "../components/PhotoCard";
import { useFinePointer } from "../lib/device";
import { useMembers } from "../lib/members";
import { usePhotoSession } from "../lib/photoSession";
import { ROUTES } from "../lib/route";

const PASTE_HINT = "…or drop photos here, or paste one (Ctrl+V / ⌘V). They are only sent to your own photo service.";
const TOUCH_HINT = "…or take a photo, or pick some from your photos. They are only sent to your own photo service.";

/** Who's in this photo: drop, pick or paste photos; each shows its faces, names and bars. */
export function PhotoScreen() {
  const { members } = useMembers();
  const { items, add, remove, clear } = usePhotoSession();
  const fine = useFinePointer();
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
      <DropZone onFiles={(files) => void add(files)} acceptPaste label="Choose photos" hint={fine ? PASTE_HINT : TOUCH_HINT} />
      {items.length > 0 && (
        <div className="photos">
          {items.length > 1 && (
            <p className="muted">
              <button type="button" className="button button--quiet button--small" onClick={clear}>
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
