import { useEffect, useId, useRef, useState } from "react";
import { api, ApiError, humanMessage, type BatchItem } from "../api/client";
import { DropZone } from "../components/DropZone";
import { toCsv } from "../lib/csv";
import { plural } from "../lib/format";
import { useMembers } from "../lib/members";

const CHUNK = 8; // photos per /predict/batch request: steady progress, well under the service's limit

export type BatchRow = { id: number; file: File; url: string; item?: BatchItem; error?: string };

const ANYONE = "";
const STRANGERS = "\u0000strangers";

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
  const [rows, setRows] = useState<BatchRow[]>([]);
  const [filter, setFilter] = useState(ANYONE);
  const [pending, setPending] = useState(0);
  const nextId = useRef(1);
  const queue = useRef<Promise<void>>(Promise.resolve());

  const latest = useRef(rows);
  latest.current = rows;
  useEffect(() => () => latest.current.forEach((r) => URL.revokeObjectURL(r.url)), []);

  const add = (files: File[]) => {
    const added = files.map((file) => ({ id: nextId.current++, file, url: URL.createObjectURL(file) }));
    setRows((all) => [...all, ...added]);
    setPending((n) => n + added.length);
    for (let i = 0; i < added.length; i += CHUNK) {
      const chunk = added.slice(i, i + CHUNK);
      queue.current = queue.current.then(async () => {
        let results: Map<number, Partial<BatchRow>>;
        try {
          const items = await api.predictBatch(chunk.map((r) => r.file));
          results = new Map(chunk.map((r, k) => [r.id, { item: items[k] }]));
        } catch (exc) {
          const message = exc instanceof ApiError ? exc.message : String(exc);
          results = new Map(chunk.map((r) => [r.id, { error: message }]));
        }
        setRows((all) => all.map((r) => (results.has(r.id) ? { ...r, ...results.get(r.id) } : r)));
        setPending((n) => n - chunk.length);
      });
    }
  };

  const clear = () => {
    rows.forEach((r) => URL.revokeObjectURL(r.url));
    setRows([]);
    setFilter(ANYONE);
  };

  const download = () => {
    const blob = new Blob([rowsToCsv(rows)], { type: "text/csv;charset=utf-8" });
    const link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = "family-photos.csv";
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 1000);
  };

  const shown = rows.filter((r) => {
    if (filter === ANYONE) return true;
    const result = r.item?.result;
    if (!result) return false;
    if (filter === STRANGERS) return result.faces.some((f) => f.member == null);
    return result.present.includes(filter);
  });
  const names = (members ?? []).map((m) => m.name);
  const done = rows.length - pending;

  return (
    <section aria-labelledby="batch-heading">
      <h1 id="batch-heading">Many photos</h1>
      <DropZone onFiles={add} label="Choose photos" hint="…or drop a whole folder’s worth of photos here." />

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
              <button type="button" className="button" onClick={download} disabled={pending > 0}>
                Download CSV
              </button>
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
