import { useRef, useState, type CSSProperties } from "react";
import type { Face, Prediction } from "../api/client";
import { leftToRight } from "../lib/faceOrder";
import { faceWords } from "../lib/faceWords";
import { fileSize, isHeic, listNames, plural } from "../lib/format";
import { useLabelPlacement } from "../lib/useLabelPlacement";
import { CorrectFace } from "./CorrectFace";
import { ProbabilityBars } from "./ProbabilityBars";

export type PhotoItem = {
  id: number;
  file: File;
  url: string;
  state: "waiting" | "running" | "done" | "error";
  prediction?: Prediction;
  error?: string;
};

/** "Face 2: maybe leo": the face's number and what it is in plain words (faceWords). */
export function faceLabel(face: Face, index: number): string {
  return `Face ${index + 1}: ${faceWords(face)}`;
}

/** The photo with a box around every face, and beside it each face with its bars and corrections. */
export function PhotoCard({ item, onRemove }: { item: PhotoItem; onRemove: () => void }) {
  const [active, setActive] = useState<number | null>(null);
  const [broken, setBroken] = useState(false);
  const [natural, setNatural] = useState<number | null>(null); // the photo's width / height, once it has loaded
  const frame = useRef<HTMLDivElement>(null);
  const prediction = item.prediction;
  const faces = prediction ? leftToRight(prediction.faces) : [];
  // The members present in the order their faces are numbered (left to right).
  const present = prediction
    ? [
        ...new Set([
          ...faces.flatMap((f) => (f.member != null && prediction.present.includes(f.member) ? [f.member] : [])),
          ...prediction.present,
        ]),
      ]
    : [];
  const placements = useLabelPlacement(frame, faces.length);
  const strangers = faces.filter((f) => f.member == null).length;
  const titleId = `photo-${item.id}-title`;
  // A HEIC photo: the browser most likely cannot show it, so show the service's JPEG of it instead.
  const heic = isHeic(item.file);
  // Fitted to the window (portrait photos too), so the names stay in sight.
  const ratio = prediction ? prediction.width / prediction.height : natural;
  const fit = ratio ? ({ "--ratio": ratio } as CSSProperties) : undefined;
  const src = prediction?.preview ? `data:image/jpeg;base64,${prediction.preview}` : heic ? null : item.url;

  return (
    <article className="photo" aria-labelledby={titleId} data-state={item.state}>
      <header className="photo__header">
        <h2 id={titleId} className="photo__title">
          {item.file.name}
        </h2>
        <button type="button" className="button button--quiet button--small" onClick={onRemove}>
          Remove<span className="visually-hidden"> {item.file.name}</span>
        </button>
      </header>

      <div className="photo__body">
        <figure className="photo__figure">
          <div className={`photo__frame${fit ? " photo__frame--fit" : ""}`} ref={frame} style={fit}>
            {broken || src == null ? (
              <div className="photo__nopreview">
                {src == null && item.state !== "error"
                  ? "The service is making a preview of this HEIC photo…"
                  : `No preview${heic ? " (this browser cannot show HEIC photos)" : ""}`}
              </div>
            ) : (
              <img
                src={src}
                alt={
                  prediction
                    ? `${item.file.name}: ${present.length ? listNames(present) : "no family members"}`
                    : item.file.name
                }
                onError={() => setBroken(true)}
                onLoad={(e) => {
                  const img = e.currentTarget;
                  if (img.naturalWidth && img.naturalHeight) setNatural(img.naturalWidth / img.naturalHeight);
                }}
              />
            )}
            {prediction &&
              faces.map((face, i) => {
                const [x1, y1, x2, y2] = face.box;
                const style = {
                  left: `${(x1 / prediction.width) * 100}%`,
                  top: `${(y1 / prediction.height) * 100}%`,
                  width: `${((x2 - x1) / prediction.width) * 100}%`,
                  height: `${((y2 - y1) / prediction.height) * 100}%`,
                };
                return (
                  <div
                    key={i}
                    className={`box${face.member ? " box--member" : " box--stranger"}${active === i ? " box--active" : ""}${placements[i]?.below ? " box--label-below" : ""}${placements[i]?.end ? " box--label-end" : ""}`}
                    style={style}
                    data-testid="face-box"
                    aria-hidden="true"
                  >
                    <span className="box__label">
                      {i + 1} {faceWords(face)}
                    </span>
                  </div>
                );
              })}
            {(item.state === "running" || item.state === "waiting") && (
              <div className="photo__busy" role="status">
                <progress aria-label={`Looking for faces in ${item.file.name}`} />
                <span>
                  {item.state === "waiting" ? "Waiting…" : "Looking for faces…"} ({fileSize(item.file.size)})
                </span>
              </div>
            )}
          </div>
          {prediction && (
            <figcaption className="present" data-testid="present">
              {present.length ? (
                <>
                  <strong>Present:</strong>{" "}
                  <span className="present__names">
                    {present.map((name) => (
                      <span key={name} className="chip">
                        {name}
                      </span>
                    ))}
                  </span>
                </>
              ) : (
                <strong>{prediction.faces.length ? "No family members found." : "No faces found."}</strong>
              )}
              {strangers > 0 && <span className="chip chip--stranger">{plural(strangers, "stranger")}</span>}
            </figcaption>
          )}
        </figure>

        <p className="visually-hidden" role="status">
          {prediction
            ? `${item.file.name}: ${present.length ? `${listNames(present)} ${present.length === 1 ? "is" : "are"} in it` : "no family members found"}${strangers ? `, and ${plural(strangers, "stranger")}` : ""}.`
            : ""}
        </p>
        {item.state === "error" && (
          <p className="error photo__error" role="alert">
            {item.error}
          </p>
        )}

        {prediction && faces.length > 0 && (
          <div className="faces-panel">
            <p className="legend muted">
              <span className="legend__bar" aria-hidden="true" /> how likely the face is each member: it is that member
              when the bar reaches 50%. 70% means about 7 in 10 faces shown 70% were that member, on faces kept out of
              training to check it.
            </p>
            <ol className="faces" aria-label={`Faces in ${item.file.name}`}>
              {faces.map((face, i) => (
                <li
                  key={i}
                  className={`face${face.member ? "" : " face--stranger"}`}
                  onMouseEnter={() => setActive(i)}
                  onMouseLeave={() => setActive(null)}
                  onFocus={() => setActive(i)}
                >
                  <div className="face__head">
                    {face.crop ? (
                      <img
                        className="face__crop"
                        src={`data:image/jpeg;base64,${face.crop}`}
                        alt={faceLabel(face, i)}
                      />
                    ) : (
                      <span className="face__crop" />
                    )}
                    <h3 className="face__title">
                      <span className="face__number">{i + 1}</span> {faceWords(face)}
                    </h3>
                  </div>
                  <ProbabilityBars probabilities={face.probabilities} decided={face.member} />
                  <details className="face__correct">
                    <summary>Wrong? Correct it</summary>
                    <CorrectFace file={item.file} box={face.box} label={faceLabel(face, i)} />
                  </details>
                </li>
              ))}
            </ol>
          </div>
        )}
      </div>
    </article>
  );
}
