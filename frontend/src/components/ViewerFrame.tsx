import { useRef, type CSSProperties } from "react";
import { pictures, type LibraryPhoto } from "../api/client";
import { ServiceImage } from "./ServiceImage";
import { libraryFaceVerdict } from "../lib/libraryFaces";
import { useLabelPlacement } from "../lib/useLabelPlacement";
import { photoAlt } from "./ThumbGrid";

type Props = { photo: LibraryPhoto; selected: number | null; onSelect: (faceId: number) => void };

/**
 * The photo as the service sees it, fitted to the window (portrait photos too), with every face
 * boxed, numbered left to right and named; a click on a box picks that face (as its entry in the list does).
 */
export function ViewerFrame({ photo, selected, onSelect }: Props) {
  const frame = useRef<HTMLDivElement>(null);
  const placements = useLabelPlacement(frame, photo.faces.length);
  const fit = { "--ratio": photo.width / photo.height } as CSSProperties;

  return (
    <figure className="viewer__figure">
      <div className="photo__frame photo__frame--fit viewer__frame" ref={frame} style={fit}>
        <ServiceImage src={pictures.preview(photo.id)} alt={photoAlt(photo)} />
        {photo.faces.map((face, i) => {
          const [x1, y1, x2, y2] = face.box;
          const verdict = libraryFaceVerdict(face);
          const style = {
            left: `${(x1 / photo.width) * 100}%`,
            top: `${(y1 / photo.height) * 100}%`,
            width: `${((x2 - x1) / photo.width) * 100}%`,
            height: `${((y2 - y1) / photo.height) * 100}%`,
          };
          return (
            <div
              key={face.id}
              className={`box box--pickable${verdict.kind === "member" ? " box--member" : " box--stranger"}${face.named_by === "person" ? " box--named" : ""}${selected === face.id ? " box--active" : ""}${placements[i]?.below ? " box--label-below" : ""}${placements[i]?.end ? " box--label-end" : ""}`}
              style={style}
              data-testid="face-box"
              aria-hidden="true"
              onClick={() => onSelect(face.id)}
            >
              <span className="box__label">
                {i + 1} {verdict.words}
                {face.named_by === "person" ? " ✓" : ""}
              </span>
            </div>
          );
        })}
      </div>
    </figure>
  );
}
