import { useId } from "react";
import { humanMessage } from "../api/client";
import { DropZone } from "../components/DropZone";
import { ANYONE, STRANGERS, useBatchSession, type BatchRow } from "../lib/batchSession";
import { toCsv } from "../lib/csv";
import { plural } from "../lib/format";
import { useMembers } from "../lib/members";

export type { BatchRow };

export function rowsToCsv(rows: BatchRow[]): string {
  return toCsv(
    ["file", "members_present", "strangers", "faces", "error"],
    rows.map((r) => {
      const result = r.item?.result;
      return [
        r.file.name,
        result ? result.present.join(";") : "",
        result ? result.faces.filter((f) => f.member == null).length : "",
        result ? result.faces.length : "",
        r.error ?? r.item?.error ?? "",
      ];
    }),
  );
}

/** Many photos: a table of who is in each, filterable by member, with a CSV download. */
export function BatchScreen() {
  const { members } = useMembers();
  const filterId = useId();
  const csvId = useId();
  const { rows, pending, filter, setFilter, add, clear } = useBatchSession();

  const shown = rows.filter((r) => {
    if (filter === ANYONE) return true;
    const result = r.item?.result;
    if (!result) return false;
    if (filter === STRANGERS) return result.faces.some((f) => f.member == null);
    return result.present.includes(filter);
  });

  /** The rows shown, as CSV: the download follows the filter. */
  const download = () => {
    const blob = new Blob([rowsToCsv(shown)], { type: "text/csv;charset=utf-8" });
    const link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = "family-photos.csv";
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 1000);
  };

  const names = (members ?? []).filter((m) => !m.hidden).map((m) => m.name);
  const done = rows.length - pending;

  return (
    <section aria-labelledby="batch-heading">
      <h1 id="batch-heading">Many photos</h1>
      <DropZone onFiles={(files) => void add(files)} label="Choose photos" hint="…or drop a whole folder’s worth of photos here." />

      {rows.length > 0 && (
        <>
          <div className="toolbar">
            {pending > 0 ? (
              <p role="status" className="busy-line">
                <progress max={rows.length} value={done} aria-label="Photos done" /> {done} of {rows.length} photos
                done…
              </p>
            ) : (
              <p role="status">{plural(rows.length, "photo")} done.</p>
            )}
            <div className="toolbar__actions">
              <label htmlFor={filterId}>Show</label>
              <select id={filterId} value={filter} onChange={(e) => setFilter(e.target.value)}>
                <option value={ANYONE}>all photos</option>
                {names.map((n) => (
                  <option key={n} value={n}>
                    photos with {n}
                  </option>
                ))}
                <option value={STRANGERS}>photos with strangers</option>
              </select>
              <button
                type="button"
                className="button"
                onClick={download}
                disabled={pending > 0 || shown.length === 0}
                aria-describedby={csvId}
              >
                Download CSV
              </button>
              <span id={csvId} className="muted">
                {shown.length === rows.length ? `all ${plural(rows.length, "row")}` : `the ${plural(shown.length, "row")} shown`}
              </span>
              <button type="button" className="button button--quiet" onClick={clear}>
                Clear
              </button>
            </div>
          </div>

          <div className="table-wrap">
            <table className="table batch">
              <caption className="visually-hidden">Who is in each photo</caption>
              <thead>
                <tr>
                  <th scope="col">Photo</th>
                  <th scope="col">File</th>
                  <th scope="col">Members present</th>
                  <th scope="col">Strangers</th>
                </tr>
              </thead>
              <tbody>
                {shown.map((r) => {
                  const result = r.item?.result;
                  const error =
                    r.error ??
                    (r.item && r.item.status !== 200
                      ? humanMessage(r.item.status, r.item.error ?? "", `“${r.file.name}”`)
                      : undefined);
                  return (
                    <tr key={r.id}>
                      <td>
                        <img className="thumb" src={r.url} alt="" loading="lazy" />
                      </td>
                      <th scope="row" className="batch__file">
                        {r.file.name}
                      </th>
                      <td>
                        {result ? (
                          result.present.length ? (
                            result.present.map((n) => (
                              <span key={n} className="chip">
                                {n}
                              </span>
                            ))
                          ) : (
                            <span className="muted">nobody</span>
                          )
                        ) : error ? (
                          <span className="error">{error}</span>
                        ) : (
                          <span className="muted">working…</span>
                        )}
                      </td>
                      <td>{result ? result.faces.filter((f) => f.member == null).length : ""}</td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
            {shown.length === 0 && <p className="muted">No photo matches this filter.</p>}
          </div>
        </>
      )}
    </section>
  );
}
