import { plural } from "../lib/format";
import { useLibrary } from "../lib/library";
import { LibraryUpload } from "./LibraryUpload";
import { ScanProgress } from "./ScanProgress";
import { TrainingStatus } from "./TrainingStatus";

/** The library's folders and counts, the Scan button and its progress, uploads, and the training. */
export function LibraryPanel() {
  const { status, error, scan } = useLibrary();
  if (!status) {
    return (
      <section className="panel library" aria-labelledby="library-heading">
        <h2 id="library-heading">Your photo library</h2>
        {error ? (
          <p className="error" role="alert">
            {error}
          </p>
        ) : (
          <p className="muted">Loading…</p>
        )}
      </section>
    );
  }
  // The configured folders (FAMILYPHOTO_LIBRARY_ROOTS), then the uploads folder, always last.
  const folders = status.roots.slice(0, -1);
  const uploads = status.roots.at(-1);
  const job = scan.job ?? status.scan ?? null;

  return (
    <section className="panel library" aria-labelledby="library-heading">
      <h2 id="library-heading">Your photo library</h2>
      <p>
        <strong>{plural(status.photos, "photo")}</strong> indexed, with {plural(status.faces, "face")}
        {status.named_faces ? ` (${status.named_faces} named by you)` : ""}.
      </p>
      {!status.decided && (
        <p className="notice">
          No family has been trained yet, so nobody is named in these photos. Train it on the Family screen, or name
          faces in the photos below and press Train now.
        </p>
      )}
      {folders.length > 0 ? (
        <>
          <ul className="roots" aria-label="Photo folders">
            {folders.map((root) => (
              <li key={root.path}>
                <code>{root.path}</code>{" "}
                {root.available ? (
                  <span className="muted">
                    {plural(root.photos, "photo")}
                    {!root.scanned && " · indexed from the command line (not in FAMILYPHOTO_LIBRARY_ROOTS): Scan leaves it as it is"}
                  </span>
                ) : (
                  <strong className="error">
                    not available{root.photos ? ` (its ${plural(root.photos, "photo")} are kept)` : ""}
                  </strong>
                )}
              </li>
            ))}
            {uploads && uploads.photos > 0 && (
              <li>
                Uploaded here <span className="muted">{plural(uploads.photos, "photo")}</span>
              </li>
            )}
          </ul>
          <div>
            <button
              type="button"
              className="button button--primary"
              onClick={() => void scan.start()}
              disabled={scan.busy}
            >
              {scan.busy ? "Scanning…" : "Scan for new photos"}
            </button>
          </div>
        </>
      ) : (
        <div className="notice">
          <p>
            No photo folders are set up. To index the family’s photos where they are, start the service with{" "}
            <code>FAMILYPHOTO_LIBRARY_ROOTS</code> set to them, e.g.{" "}
            <code>FAMILYPHOTO_LIBRARY_ROOTS='["/photos/family"]'</code>, then press Scan here. Or add photos by upload:
          </p>
        </div>
      )}
      {job && <ScanProgress job={job} />}
      {scan.error && (
        <p className="error" role="alert">
          {scan.error}
        </p>
      )}
      <LibraryUpload prominent={folders.length === 0} />
      <h3 className="library__sub">Training</h3>
      <TrainingStatus />
    </section>
  );
}
