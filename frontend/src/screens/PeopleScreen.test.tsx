import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { MEMBERS } from "../test/fixtures";
import { job, libraryPhoto, PEOPLE, status } from "../test/library";
import { mockApi, photo } from "../test/mockApi";
import { renderWithState } from "../test/render";
import { PeopleScreen } from "./PeopleScreen";

describe("People", () => {
  it("shows everyone with a face and a photo count, most photos first, each linking to their page", async () => {
    mockApi({ "GET /members": { body: MEMBERS }, "GET /people": { body: PEOPLE }, "GET /library": { body: status() } });
    renderWithState(<PeopleScreen />);
    const grid = await screen.findByRole("list", { name: "People" });
    const cards = within(grid).getAllByRole("link");
    expect(cards.map((c) => c.textContent)).toEqual(["raj 7 photos", "howard 2 photos", "Sstuart 0 photos"]);
    expect(cards[2]).toHaveAccessibleName("stuart 0 photos"); // the placeholder letter is not read out
    expect(cards[0]).toHaveAttribute("href", "#/people/raj");
    expect(cards[0].querySelector("img")).toHaveAttribute("src", "http://localhost:3000/faces/12/crop");
    // No face of stuart in the library yet: a placeholder, not a broken picture.
    expect(cards[2].querySelector("img")).toBeNull();
    expect(cards[2]).toHaveTextContent("S");
  });

  it("lists the library's folders, one not available, with their photo counts", async () => {
    mockApi({ "GET /members": { body: MEMBERS }, "GET /people": { body: PEOPLE }, "GET /library": { body: status() } });
    renderWithState(<PeopleScreen />);
    const folders = await screen.findByRole("list", { name: "Photo folders" });
    const items = within(folders).getAllByRole("listitem");
    expect(items[0]).toHaveTextContent("/photos/family 40 photos");
    expect(items[1]).toHaveTextContent("/mnt/usb not available (its 3 photos are kept)");
    expect(items).toHaveLength(2); // the uploads folder, empty, is not one of "your folders"
    expect(screen.getByText(/indexed, with 90 faces/)).toHaveTextContent("43 photos indexed");
    expect(screen.getByTestId("changes")).toHaveTextContent("2 changes since the last training.");
  });

  it("scans with live progress and counts, then lists the skipped files with why", async () => {
    let polls = 0;
    const counts = (seen: number, analysed: number, skips: { file: string; reason: string }[]) => ({
      seen,
      analysed,
      unchanged: 0,
      moved: 0,
      removed: 0,
      skipped: skips.length,
      skips,
    });
    const calls = mockApi({
      "GET /members": { body: MEMBERS },
      "GET /people": { body: PEOPLE },
      "GET /library": { body: status() },
      "POST /library/scan": { status: 202, body: { job_id: "s1", status_url: "/jobs/s1" } },
      "GET /jobs/s1": () => {
        polls += 1;
        return polls < 2
          ? { body: job("scan", "running", 0.4, "analysing photos", counts(10, 4, [])) }
          : {
              body: job(
                "scan",
                "succeeded",
                1,
                "done",
                counts(10, 9, [{ file: "/photos/family/broken.jpg", reason: "not a picture it can read" }]),
              ),
            };
      },
    });
    renderWithState(<PeopleScreen />);
    await userEvent.click(await screen.findByRole("button", { name: "Scan for new photos" }));
    expect(calls.find((c) => c.path === "/library/scan")!.json).toEqual({ roots: null });
    expect(await screen.findByText("Scanning: 40% · analysing photos")).toBeInTheDocument();
    expect(screen.getByRole("progressbar", { name: "Scan progress" })).toHaveAttribute("value", "0.4");
    expect(screen.getByTestId("scan-counts")).toHaveTextContent("10 photos found · 4 analysed · 0 unchanged · 0 skipped");
    expect(screen.getByRole("button", { name: "Scanning…" })).toBeDisabled();

    expect(await screen.findByText("The last scan is finished.", {}, { timeout: 3000 })).toBeInTheDocument();
    expect(screen.getByTestId("scan-counts")).toHaveTextContent("9 analysed · 0 unchanged · 1 skipped");
    const skipped = screen.getByText("1 file skipped: why").closest("details")!;
    expect(within(skipped).getByRole("listitem")).toHaveTextContent("/photos/family/broken.jpg: not a picture it can read");
    // The grid is asked again after the scan.
    await waitFor(() => expect(calls.filter((c) => c.path === "/people")).toHaveLength(2));
  });

  it("says how to set folders up when there are none, and adds photos by upload", async () => {
    const none = status({ roots: [{ path: "/data/library/uploads", photos: 0, available: true, scanned: true }], photos: 0 });
    const calls = mockApi({
      "GET /members": { body: MEMBERS },
      "GET /people": { body: [] },
      "GET /library": { body: none },
      "POST /library/photos": (call) => ({
        status: 201,
        body: call.form!.getAll("files").map((f) =>
          (f as File).name === "notes.jpg"
            ? { file: "notes.jpg", photo: null, error: "not a picture it can read" }
            : { file: (f as File).name, photo: libraryPhoto(1, []), error: null },
        ),
      }),
    });
    renderWithState(<PeopleScreen />);
    expect(await screen.findByText(/No photo folders are set up/)).toHaveTextContent("FAMILYPHOTO_LIBRARY_ROOTS");
    expect(screen.queryByRole("button", { name: "Scan for new photos" })).not.toBeInTheDocument();
    await userEvent.upload(screen.getByLabelText("Add photos to the library"), [photo("beach.jpg"), photo("notes.jpg")]);
    expect(await screen.findByText(/Added 1 photo; 1 photo left out/)).toBeInTheDocument();
    expect(screen.getByText("notes.jpg").closest("li")).toHaveTextContent("notes.jpg: not a picture it can read");
    const upload = calls.find((c) => c.path === "/library/photos" && c.method === "POST")!;
    expect(upload.form!.getAll("files").map((f) => (f as File).name)).toEqual(["beach.jpg", "notes.jpg"]);
  });

  it("trains now with the training's progress, then shows the library named again", async () => {
    let polls = 0;
    mockApi({
      "GET /members": { body: MEMBERS },
      "GET /people": { body: PEOPLE },
      "GET /library": () => ({ body: status({ changes_since_training: polls >= 2 ? 0 : 2 }) }),
      "POST /train": { status: 202, body: { job_id: "t1", status_url: "/jobs/t1" } },
      "GET /jobs/t1": () => {
        polls += 1;
        return polls < 2
          ? { body: job("train", "running", 0.5, "train") }
          : {
              body: job("train", "succeeded", 1, "done", {
                library: { faces: 90, photos: 43, changed: 4 },
                warnings: ["grandma: only 1 usable face; add at least 4 more solo photos"],
              }),
            };
      },
    });
    renderWithState(<PeopleScreen />);
    await userEvent.click(await screen.findByRole("button", { name: "Train now" }));
    expect(await screen.findByText("Training: 50% · train")).toBeInTheDocument();
    expect(screen.getByRole("progressbar", { name: "Training progress" })).toBeInTheDocument();
    expect(
      await screen.findByText(/the library is named again \(4 faces changed\)/, {}, { timeout: 3000 }),
    ).toBeInTheDocument();
    const advice = screen.getByRole("heading", { name: "Who may not be recognised yet" }).parentElement!;
    expect(within(advice).getByRole("listitem")).toHaveTextContent("grandma: only 1 usable face");
    await waitFor(() =>
      expect(screen.getByTestId("changes")).toHaveTextContent("The family has learnt every name given so far."),
    );
  });

  it("follows a scan already running when the screen opens", async () => {
    mockApi({
      "GET /members": { body: MEMBERS },
      "GET /people": { body: PEOPLE },
      "GET /library": { body: status({ scan: { ...job("scan", "running", 0.2, "finding photos"), id: "s9" } }) },
      "GET /jobs/s9": { body: { ...job("scan", "running", 0.3, "analysing photos", { seen: 3 }), id: "s9" } },
    });
    renderWithState(<PeopleScreen />);
    expect(await screen.findByText("Scanning: 30% · analysing photos")).toBeInTheDocument();
  });
});
