import { pictures, type UnnamedGroup } from "../api/client";
import { plural } from "../lib/format";
import { ServiceImage } from "./ServiceImage";

/** A few faces of a group nobody has named yet, side by side (pictures only: the words go next to them). */
export function GroupSamples({ faceIds, max = 4 }: { faceIds: number[]; max?: number }) {
  return (
    <span className="samples" aria-hidden="true">
      {faceIds.slice(0, max).map((id) => (
        <ServiceImage key={id} className="samples__face" src={pictures.faceCrop(id)} alt="" loading="lazy" />
      ))}
    </span>
  );
}

/** "looks like leo", when the group is near a member of the family. */
export function looksLike(group: UnnamedGroup): string | null {
  return group.looks_like ? `looks like ${group.looks_like.member}` : null;
}

/** "5 faces in 4 photos". */
export function groupSize(group: UnnamedGroup): string {
  return `${plural(group.faces, "face")} in ${plural(group.photos, "photo")}`;
}
