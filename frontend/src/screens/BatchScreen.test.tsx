import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import type { BatchItem } from "../api/client";
import { renderWithState } from "../test/render";
import { MEMBERS, PREDICTION } from "../test/fixtures";
import { mockApi, photo } from "../test/mockApi";
import { BatchScreen, rowsToCsv } from "./BatchScreen";

const result = (present: string[], strangers: number) => ({
  ...PREDICTION,
  present,
  faces: [
    ...present.map((m) => ({ ...PREDICTION.faces[0], member: m })),
    ...Array.from({ length: strangers }, () => ({ ...PREDICTION.faces[1] })),
  ],
});

const ITEMS: Record<string, BatchItem> = {
  "a.jpg": { file: "a.jpg", status: 200, result: result(["raj", "howard"], 1) },
  "b.jpg": { file: "b.jpg", status: 200, result: result(["howard"], 0) },
  "c.txt.jpg": { file: "c.txt.jpg", status: 415, error: "not an image" },
};

function setup() {
  const calls = mockApi({
    "GET /members": { body: MEMBERS },
    "POST /predict/batch": (call) => ({ body: call.form!.getAll("files").map((f) => ITEMS[(f as File).name]) }),
  });
  renderWithState(<BatchScreen />);
  return calls;
}

const rowNames = () =>
  within(screen.getByRole("table"))
    .getAllByRole("row")
    .slice(1)
    .map((r) => within(r).getByRole("rowheader").textContent);

describe("Many photos", () => {
  it("tabulates members and strangers per photo, and filters by member", async () => {
    const calls = setup();
    await userEvent.upload(screen.getByLabelText("Choose photos"), [
      photo("a.jpg"),
      photo("b.jpg"),
      photo("c.txt.jpg"),
    ]);
    expect(await screen.findByText("3 photos done.")).toBeInTheDocument();

    const batch = calls.find((c) => c.path === "/predict/batch")!;
    expect(batch.query.get("crops")).toBe("false");
    const rows = within(screen.getByRole("table")).getAllByRole("row");
    expect(
      within(rows[1])
        .getAllByRole("cell")
        .map((c) => c.textContent),
    ).toEqual(["", "rajhoward", "1"]);
    expect(within(rows[3]).getByText(/not a picture the service can read/)).toBeInTheDocument();

    await userEvent.selectOptions(screen.getByLabelText("Show"), "photos with raj");
    expect(rowNames()).toEqual(["a.jpg"]);
    await userEvent.selectOptions(screen.getByLabelText("Show"), "photos with howard");
    expect(rowNames()).toEqual(["a.jpg", "b.jpg"]);
    await userEvent.selectOptions(screen.getByLabelText("Show"), "photos with strangers");
    expect(rowNames()).toEqual(["a.jpg"]);
    await userEvent.selectOptions(screen.getByLabelText("Show"), "all photos");
    expect(rowNames()).toEqual(["a.jpg", "b.jpg", "c.txt.jpg"]);
  });

  it("downloads the table as CSV", async () => {
    setup();
    await userEvent.upload(screen.getByLabelText("Choose photos"), [photo("a.jpg"), photo("b.jpg")]);
    await screen.findByText("2 photos done.");
    const blobs: Blob[] = [];
    vi.spyOn(URL, "createObjectURL").mockImplementation((b) => {
      blobs.push(b as Blob);
      return "blob:csv";
    });
    const click = vi.spyOn(HTMLAnchorElement.prototype, "click").mockImplementation(() => {});
    await userEvent.click(screen.getByRole("button", { name: "Download CSV" }));
    expect(click).toHaveBeenCalledOnce();
    expect(await blobs[0].text()).toBe(
      "file,members_present,strangers,faces,error\r\na.jpg,raj;howard,1,3,\r\nb.jpg,howard,0,1,\r\n",
    );
  });

  it("downloads only the rows the filter shows", async () => {
    setup();
    await userEvent.upload(screen.getByLabelText("Choose photos"), [photo("a.jpg"), photo("b.jpg")]);
    await screen.findByText("2 photos done.");
    await userEvent.selectOptions(screen.getByLabelText("Show"), "photos with raj");
    const blobs: Blob[] = [];
    vi.spyOn(URL, "createObjectURL").mockImplementation((b) => {
      blobs.push(b as Blob);
      return "blob:csv";
    });
    vi.spyOn(HTMLAnchorElement.prototype, "click").mockImplementation(() => {});
    const button = screen.getByRole("button", { name: "Download CSV" });
    expect(button).toHaveAccessibleDescription("the 1 row shown");
    await userEvent.click(button);
    expect(await blobs[0].text()).toBe("file,members_present,strangers,faces,error\r\na.jpg,raj;howard,1,3,\r\n");
  });

  it("refuses a photo over the size limit without sending it", async () => {
    const calls = mockApi({
      "GET /members": { body: MEMBERS },
      "GET /version": { body: { version: "1", detector: {}, embedder: {}, recipe: null, family_created: null, limits: { max_upload_mb: 1, max_batch_files: 64 } } },
      "POST /predict/batch": (call) => ({ body: call.form!.getAll("files").map((f) => ITEMS[(f as File).name]) }),
    });
    renderWithState(<BatchScreen />);
    const big = new File([new Uint8Array(2_000_000)], "big.jpg", { type: "image/jpeg" });
    await userEvent.upload(screen.getByLabelText("Choose photos"), [big, photo("a.jpg")]);
    expect(await screen.findByText("2 photos done.")).toBeInTheDocument();
    expect(screen.getByRole("row", { name: /big.jpg/ })).toHaveTextContent("over the service’s limit of 1 MB per photo");
    expect(calls.filter((c) => c.path === "/predict/batch").map((c) => c.form!.getAll("files").length)).toEqual([1]);
  });

  it("sends big selections in several requests", async () => {
    const many = Array.from({ length: 10 }, (_, i) => photo(`p${i}.jpg`));
    const calls = mockApi({
      "GET /members": { body: MEMBERS },
      "POST /predict/batch": (call) => ({
        body: call.form!.getAll("files").map((f) => ({ file: (f as File).name, status: 200, result: result([], 0) })),
      }),
    });
    renderWithState(<BatchScreen />);
    await userEvent.upload(screen.getByLabelText("Choose photos"), many);
    await waitFor(() => expect(screen.getByText("10 photos done.")).toBeInTheDocument());
    expect(calls.filter((c) => c.path === "/predict/batch").map((c) => c.form!.getAll("files").length)).toEqual([8, 2]);
  });
});

describe("rowsToCsv", () => {
  it("quotes commas and quotes, and defuses spreadsheet formulas", () => {
    const csv = rowsToCsv([{ id: 1, file: photo('we, "us".jpg'), url: "", error: "=cmd()" }]);
    expect(csv.split("\r\n")[1]).toBe(`"we, ""us"".jpg",,,,'=cmd()`);
  });
});
