import { useEffect, useId, useRef, useState, type DragEvent } from "react";
import { isPhoto } from "../lib/format";

type Props = {
  onFiles: (files: File[]) => void;
  multiple?: boolean;
  /** Also take a photo pasted anywhere on the page (Ctrl/Cmd+V). */
  acceptPaste?: boolean;
  label: string;
  hint?: string;
  compact?: boolean;
};

/** Drop photos here, or pick them with a real file input (keyboard and screen reader friendly). */
export function DropZone({ onFiles, multiple = true, acceptPaste = false, label, hint, compact = false }: Props) {
  const inputId = useId();
  const hintId = useId();
  const [over, setOver] = useState(false);
  const [ignored, setIgnored] = useState<string | null>(null);
  const input = useRef<HTMLInputElement>(null);

  const take = (list: FileList | File[] | null | undefined) => {
    const files = Array.from(list ?? []);
    const photos = files.filter(isPhoto);
    const skipped = files.length - photos.length;
    setIgnored(
      skipped
        ? `${skipped === 1 ? `“${files.find((f) => !isPhoto(f))?.name}” is` : `${skipped} files are`} not a photo and ${skipped === 1 ? "was" : "were"} left out.`
        : null,
    );
    if (photos.length) onFiles(multiple ? photos : photos.slice(0, 1));
  };

  useEffect(() => {
    if (!acceptPaste) return;
    const onPaste = (event: ClipboardEvent) => {
      const files = Array.from(event.clipboardData?.files ?? []);
      if (files.length) {
        event.preventDefault();
        take(files);
      }
    };
    document.addEventListener("paste", onPaste);
    return () => document.removeEventListener("paste", onPaste);
  });

  const onDrop = (event: DragEvent) => {
    event.preventDefault();
    setOver(false);
    take(event.dataTransfer.files);
  };

  return (
    <div
      className={`dropzone${over ? " dropzone--over" : ""}${compact ? " dropzone--compact" : ""}`}
      onDragOver={(event) => {
        event.preventDefault();
        setOver(true);
      }}
      onDragLeave={() => setOver(false)}
      onDrop={onDrop}
      data-testid="dropzone"
    >
      <label htmlFor={inputId} className="button button--primary">
        {label}
      </label>
      <input
        ref={input}
        id={inputId}
        className="visually-hidden"
        type="file"
        accept="image/*,.heic,.heif"
        multiple={multiple}
        aria-describedby={hint ? hintId : undefined}
        onChange={(event) => {
          take(event.currentTarget.files);
          event.currentTarget.value = ""; // picking the same file again still counts
        }}
      />
      {hint && (
        <p id={hintId} className="dropzone__hint">
          {hint}
        </p>
      )}
      {ignored && (
        <p className="dropzone__ignored" role="status">
          {ignored}
        </p>
      )}
    </div>
  );
}
