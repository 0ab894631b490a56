import { useState } from "react";
import { api, ApiError, type UploadedPhoto } from "../api/client";
import { plural } from "../lib/format";
import { useLibrary } from "../lib/library";
import { splitBySize } from "../lib/limits";
import { DropZone } from "./DropZone";
import { UploadOutcome } from "./UploadOutcome";

type Outcome = { added: number; left: { file: string; reason: string }[] };

/** Photos added to the library by upload (`POST /library/photos`): kept in the service's data folder. */
export function LibraryUpload({ prominent = false }: { prominent?: boolean }) {
  const { changed } = useLibrary();
  const [busy, setBusy] = useState<number | null>(null);
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const [error, setError] = useState<string | null>(null);

  const upload = async (files: File[]) => {
    setError(null);
    setOutcome(null);
    const { ok, refused } = await splitBySize(files);
    const left = [...refused].map(([f, reason]) => ({ file: f.name, reason }));
    let answers: UploadedPhoto[] = [];
    if (ok.length) {
      setBusy(ok.length);
      try {
        answers = await api.addToLibrary(ok);
      } catch (exc) {
        setError(exc instanceof ApiError ? exc.message : String(exc));
      } finally {
        setBusy(null);
      }
    }
    for (const a of answers) if (!a.photo) left.push({ file: a.file, reason: a.error ?? "not added" });
    setOutcome({ added: answers.filter((a) => a.photo).length, left });
    if (answers.some((a) => a.photo)) await changed();
  };

  return (
    <div className="library-upload">
      <DropZone
        onFiles={(files) => void upload(files)}
        label="Add photos to the library"
        hint="They are kept in the service’s data folder and named like the rest."
        compact={!prominent}
      />
      {busy != null && (
        <p role="status" className="busy-line">
          <progress aria-label="Adding photos" /> Adding {plural(busy, "photo")}…
        </p>
      )}
      {outcome && (
        <UploadOutcome taken={`Added ${plural(outcome.added, "photo")}`} ok={outcome.added > 0} left={outcome.left} />
      )}
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}
