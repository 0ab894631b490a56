import { useEffect, useState } from "react";
import { apiBase, apiKey } from "../api/client";
import { percent } from "../lib/format";

type Summary = {
  photos: number;
  precision: number | null;
  recall: number | null;
  stranger_photos: number;
  stranger_false_accept_rate: number | null;
};
type Latest = { url: string; created?: string; summary?: Summary };

/**
 * The latest evaluation report (`POST /evaluate` or `familyphoto evaluate`), linked with its
 * headline figures; without one, how to make one.
 */
export function EvaluationPanel() {
  const [latest, setLatest] = useState<Latest | null | undefined>(undefined);

  useEffect(() => {
    let cancelled = false;
    const headers: Record<string, string> = {};
    const key = apiKey();
    if (key) headers["X-API-Key"] = key;
    const load = async () => {
      const res = await globalThis.fetch(`${apiBase()}/evaluations/latest`, { headers });
      if (!res.ok) return null;
      // The service redirects to the report's index.html; report.json sits beside it.
      const url = res.url || `${apiBase()}/evaluations/latest`;
      if (!/index\.html$/.test(url)) return { url };
      const data = await globalThis.fetch(url.replace(/index\.html$/, "report.json"), { headers });
      if (!data.ok) return { url };
      const report = (await data.json()) as { created?: string; summary?: Summary };
      return { url, created: report.created, summary: report.summary };
    };
    load()
      .catch(() => null)
      .then((found) => {
        if (!cancelled) setLatest(found);
      });
    return () => {
      cancelled = true;
    };
  }, []);

  if (latest === undefined) return null;
  return (
    <section className="panel" aria-labelledby="evaluation-heading">
      <h2 id="evaluation-heading">How good is it on your photos?</h2>
      {latest ? (
        <>
          {latest.summary && (
            <p>
              On {latest.summary.photos} labelled photos: it named the right members {percent(latest.summary.precision)}{" "}
              of the time and found {percent(latest.summary.recall)} of them
              {latest.summary.stranger_photos > 0 &&
                `; ${percent(latest.summary.stranger_false_accept_rate)} of the stranger photos reported someone`}
              .
            </p>
          )}
          <p>
            <a href={latest.url}>Open the latest evaluation report</a>
            {latest.created && <span className="muted"> ({new Date(latest.created).toLocaleString()})</span>}: who is
            taken for whom, the threshold sweep and the photos it got wrong.
          </p>
        </>
      ) : (
        <p className="muted">
          No evaluation yet. Measure it on photos whose members you know with{" "}
          <code>familyphoto evaluate LABELLED_DIR</code>, or send them with their labels to <code>POST /evaluate</code>;
          the report is then linked here.
        </p>
      )}
    </section>
  );
}
