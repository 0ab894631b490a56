import { pictures, type LibraryFace, type LibraryPhoto, type NamedFace } from "../api/client";
import { ServiceImage } from "./ServiceImage";
import { libraryFaceVerdict } from "../lib/libraryFaces";
import { FaceNamer } from "./FaceNamer";

type Props = {
  photo: LibraryPhoto;
  selected: number | null;
  onSelect: (faceId: number | null) => void;
  onNamed: (result: NamedFace, said: string) => void;
  messages: Record<number, string>;
};

function who(face: LibraryFace): string {
  return libraryFaceVerdict(face).words;
}

/** The photo's faces, numbered left to right as on the photo; the picked one says who it is. */
export function FaceList({ photo, selected, onSelect, onNamed, messages }: Props) {
  if (!photo.faces.length) return <p className="muted">No faces found in this photo.</p>;
  return (
    <ol className="faces viewer__faces" aria-label="Faces in this photo">
      {photo.faces.map((face, i) => {
        const verdict = libraryFaceVerdict(face);
        const open = selected === face.id;
        return (
          <li
            key={face.id}
            className={`face${verdict.kind === "member" ? "" : " face--stranger"}${open ? " face--open" : ""}`}
            data-face-id={face.id}
          >
            <button
              type="button"
              className="face__pick"
              aria-expanded={open}
              onClick={() => onSelect(open ? null : face.id)}
            >
              <ServiceImage className="face__crop" src={pictures.faceCrop(face.id)} alt="" loading="lazy" />
              <span className="face__title">
                <span className="face__number">{i + 1}</span> {who(face)}
                {face.named_by === "person" && <span className="face__named"> · named by you</span>}
              </span>
            </button>
            {messages[face.id] && (
              <p className="success" role="status">
                {messages[face.id]}
              </p>
            )}
            {open && <FaceNamer face={face} label={`Face ${i + 1}`} onNamed={onNamed} />}
          </li>
        );
      })}
    </ol>
  );
}
