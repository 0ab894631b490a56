import { act, render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { App } from "./App";
import { apiBase, humanMessage } from "./api/client";
import { MEMBERS, PREDICTION } from "./test/fixtures";
import { mockApi, photo } from "./test/mockApi";

describe("App", () => {
  it("sends a first-run visitor with no family to the Family screen", async () => {
    mockApi({ "GET /members": { body: [] } });
    render(<App />);
    expect(await screen.findByRole("heading", { level: 1, name: "Family" })).toBeInTheDocument();
    await waitFor(() => expect(window.location.hash).toBe("#/family"));
    expect(screen.getByRole("link", { name: "Family" })).toHaveAttribute("aria-current", "page");
  });

  it("opens on the photo screen once there is a family, and navigates by hash links", async () => {
    mockApi({
      "GET /members": { body: MEMBERS },
      "GET /members/raj/faces": { body: [] },
      "GET /members/howard/faces": { body: [] },
    });
    render(<App />);
    expect(await screen.findByRole("heading", { level: 1, name: "Who’s in this photo?" })).toBeInTheDocument();
    await userEvent.click(screen.getByRole("link", { name: "Many photos" }));
    expect(await screen.findByRole("heading", { level: 1, name: "Many photos" })).toBeInTheDocument();
    expect(window.location.hash).toBe("#/batch");
    expect(document.title).toBe("Many photos · Family photos");
  });

  it("adds People to the navigation and opens it, a person's page and a photo by their hash", async () => {
    mockApi({
      "GET /members": { body: MEMBERS },
      "GET /people": { body: [] },
      "GET /library": { status: 500, body: null },
      "GET /library/photos": { body: { items: [], next_cursor: null, total: 0 } },
      "GET /library/photos/7": { status: 404, body: { detail: "no photo 7 in the library" } },
    });
    window.location.hash = "#/people";
    render(<App />);
    expect(await screen.findByRole("heading", { level: 1, name: "People" })).toBeInTheDocument();
    expect(screen.getByRole("link", { name: "People" })).toHaveAttribute("aria-current", "page");
    act(() => {
      window.location.hash = "#/people/raj";
    });
    expect(await screen.findByRole("heading", { level: 1, name: "raj" })).toBeInTheDocument();
    expect(document.title).toBe("raj · People · Family photos");
    act(() => {
      window.location.hash = "#/photos/7?person=raj";
    });
    expect(await screen.findByRole("alert")).toHaveTextContent("This photo is not in the library");
    expect(screen.getByRole("link", { name: "People" })).toHaveAttribute("aria-current", "page");
  });

  it("keeps the photos and their answers, and the batch table, while you visit other screens", async () => {
    mockApi({
      "GET /members": { body: MEMBERS },
      "GET /members/raj/faces": { body: [] },
      "GET /members/howard/faces": { body: [] },
      "POST /predict": { body: PREDICTION },
      "POST /predict/batch": { body: [{ file: "b.jpg", status: 200, result: PREDICTION }] },
    });
    window.location.hash = "#/";
    render(<App />);
    await userEvent.upload(await screen.findByLabelText("Choose photos"), photo("kept.jpg"));
    await screen.findByTestId("present");
    await userEvent.click(screen.getByRole("link", { name: "Many photos" }));
    await userEvent.upload(await screen.findByLabelText("Choose photos"), photo("b.jpg"));
    await screen.findByText("1 photo done.");
    await userEvent.selectOptions(screen.getByLabelText("Show"), "photos with raj");

    await userEvent.click(screen.getByRole("link", { name: "Family" }));
    await screen.findByRole("heading", { level: 1, name: "Family" });
    await userEvent.click(screen.getByRole("link", { name: "Who’s in this photo" }));
    const card = await screen.findByRole("article", { name: "kept.jpg" });
    expect(within(card).getByTestId("present")).toHaveTextContent("Present: raj");
    await userEvent.click(screen.getByRole("link", { name: "Many photos" }));
    expect(await screen.findByRole("rowheader", { name: "b.jpg" })).toBeInTheDocument();
    expect(screen.getByLabelText("Show")).toHaveValue("raj");
  });

  it("sends the API key when one is saved", async () => {
    const seen: (string | null)[] = [];
    mockApi({ "GET /members": { body: [] } });
    const original = globalThis.fetch;
    globalThis.fetch = (async (req: Request) => {
      seen.push(req.headers.get("x-api-key"));
      return original(req);
    }) as typeof fetch;
    render(<App />);
    await screen.findByRole("heading", { level: 1, name: "Family" });
    await userEvent.click(screen.getByText("Access key"));
    await userEvent.type(screen.getByLabelText(/The service’s API key/), "s3cret");
    await userEvent.click(screen.getByRole("button", { name: "Save key" }));
    await screen.findByText("Saved.");
    expect(seen[0]).toBeNull();
    expect(seen.at(-1)).toBe("s3cret");
  });
});

describe("the API client", () => {
  it("calls the API beside the page, whatever the hash", () => {
    expect(apiBase("http://nas.local:8000/#/family")).toBe("http://nas.local:8000");
    expect(apiBase("https://home.example/photos/index.html#/batch")).toBe("https://home.example/photos");
  });

  it("turns statuses into words", () => {
    expect(humanMessage(413, "x is over the 25 MB limit", "“x.jpg”")).toMatch(/^“x.jpg” is too large to send/);
    expect(humanMessage(0, "")).toMatch(/Could not reach the photo service/);
    expect(humanMessage(500, "boom")).not.toContain("boom");
  });
});
