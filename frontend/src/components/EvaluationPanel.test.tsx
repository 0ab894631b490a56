import { render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { EvaluationPanel } from "./EvaluationPanel";

const REPORT = "http://localhost/evaluations/abc/report/index.html";

function stubFetch(latest: { status: number; url?: string }, report?: unknown) {
  const fetchMock = vi.fn(async (input: string) => {
    if (input.endsWith("/evaluations/latest"))
      return { ok: latest.status === 200, status: latest.status, url: latest.url ?? "", json: async () => ({}) };
    if (input.endsWith("/report.json") && report) return { ok: true, status: 200, url: input, json: async () => report };
    return { ok: false, status: 404, url: input, json: async () => ({}) };
  });
  vi.stubGlobal("fetch", fetchMock);
  return fetchMock;
}

afterEach(() => vi.unstubAllGlobals());

describe("EvaluationPanel", () => {
  it("links the latest report with its headline figures", async () => {
    const fetchMock = stubFetch(
      { status: 200, url: REPORT },
      {
        created: "2026-11-28T07:00:00+00:00",
        summary: { photos: 82, precision: 0.933, recall: 0.737, stranger_photos: 25, stranger_false_accept_rate: 0.04 },
      },
    );
    render(<EvaluationPanel />);
    const link = await screen.findByRole("link", { name: "Open the latest evaluation report" });
    expect(link).toHaveAttribute("href", REPORT);
    expect(screen.getByText(/On 82 labelled photos/)).toHaveTextContent("93%");
    expect(screen.getByText(/On 82 labelled photos/)).toHaveTextContent("4% of the stranger photos");
    expect(fetchMock).toHaveBeenCalledWith(REPORT.replace("index.html", "report.json"), expect.anything());
  });

  it("says how to make one when there is none", async () => {
    stubFetch({ status: 404 });
    render(<EvaluationPanel />);
    expect(await screen.findByText(/No evaluation yet/)).toHaveTextContent("familyphoto evaluate");
    expect(screen.queryByRole("link")).not.toBeInTheDocument();
  });
});
