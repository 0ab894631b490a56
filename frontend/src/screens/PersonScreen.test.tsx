import { act, render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { App } from "../App";
import type { LibraryPhoto } from "../api/client";
import { MEMBERS } from "../test/fixtures";
import { face, libraryPhoto } from "../test/library";
import { mockApi, type Call } from "../test/mockApi";

const MORE_MEMBERS = [...MEMBERS, { ...MEMBERS[0], name: "leo" }];

/** 120 photos of raj, newest first, served 50 a page with a cursor as the service does. */
const RAJ: LibraryPhoto[] = Array.from({ length: 120 }, (_, i) =>
  libraryPhoto(1000 - i, [face(5000 + i, 100, "raj")], `2024-01-01T00:00:${String(i % 60).padStart(2, "0")}`),
);

function pages(call: Call) {
  const start = Number(call.query.get("cursor") ?? 0);
  const limit = Number(call.query.get("limit"));
  const items = RAJ.slice(start, start + limit);
  const end = start + items.length;
  return { body: { items, next_cursor: end < RAJ.length ? String(end) : null, total: RAJ.length } };
}

function open(hash: string, photos: (call: Call) => { body: unknown } = pages) {
  window.location.hash = hash;
  const calls = mockApi({ "GET /members": { body: MORE_MEMBERS }, "GET /library/photos": photos });
  render(<App />);
  return calls;
}

const photoCalls = (calls: Call[]) => calls.filter((c) => c.path === "/library/photos");

describe("A person's page", () => {
  it("shows their photos newest first as thumbnails opening the viewer, and the total", async () => {
    const calls = open("#/people/raj");
    expect(await screen.findByRole("heading", { level: 1, name: "raj" })).toBeInTheDocument();
    expect(await screen.findByTestId("total")).toHaveTextContent("120 photos · showing 50");
    const links = within(screen.getByRole("list", { name: "Photos" })).getAllByRole("link");
    expect(links).toHaveLength(50);
    expect(links[0]).toHaveAttribute("href", "#/photos/1000?person=raj");
    expect(within(links[0]).getByRole("img")).toHaveAttribute("src", "http://localhost:3000/library/photos/1000/thumbnail");
    expect(within(links[0]).getByRole("img")).toHaveAccessibleName("Taken 2024-01-01, with raj");
    const first = photoCalls(calls)[0].query;
    expect(first.getAll("member")).toEqual(["raj"]);
    expect(first.get("cursor")).toBeNull();
    expect(screen.getByRole("link", { name: "People" })).toHaveAttribute("aria-current", "page");
  });

  it("loads the next page with the cursor from a Load more button, until there is no more", async () => {
    const calls = open("#/people/raj");
    await screen.findByText("120 photos · showing 50");
    await userEvent.click(screen.getByRole("button", { name: "Load more" }));
    await screen.findByText("120 photos · showing 100");
    await userEvent.click(screen.getByRole("button", { name: "Load more" }));
    await screen.findByText("120 photos");
    expect(photoCalls(calls).map((c) => c.query.get("cursor"))).toEqual([null, "50", "100"]);
    expect(screen.queryByRole("button", { name: "Load more" })).not.toBeInTheDocument();
    expect(within(screen.getByRole("list", { name: "Photos" })).getAllByRole("link")).toHaveLength(120);
  });

  it("loads the next page when the end of the list scrolls into view", async () => {
    const observed: ((entries: { isIntersecting: boolean }[]) => void)[] = [];
    vi.stubGlobal(
      "IntersectionObserver",
      class {
        constructor(callback: (entries: { isIntersecting: boolean }[]) => void) {
          observed.push(callback);
        }
        observe() {}
        disconnect() {}
      },
    );
    const calls = open("#/people/raj");
    await screen.findByText("120 photos · showing 50");
    act(() => observed.at(-1)!([{ isIntersecting: true }]));
    await screen.findByText("120 photos · showing 100");
    expect(photoCalls(calls).map((c) => c.query.get("cursor"))).toEqual([null, "50"]);
  });

  it("filters by date and by who else is in them, all of them or any, in the query and the hash", async () => {
    const calls = open("#/people/raj");
    await screen.findByText("120 photos · showing 50");
    const last = () => photoCalls(calls).at(-1)!.query;

    await userEvent.type(screen.getByLabelText("From"), "2023-02-01");
    await waitFor(() => expect(last().get("from")).toBe("2023-02-01"));
    expect(window.location.hash).toBe("#/people/raj?from=2023-02-01");

    await userEvent.type(screen.getByLabelText("With raj and…"), "howard");
    await userEvent.click(screen.getByRole("button", { name: "Add" }));
    await waitFor(() => expect(last().getAll("member")).toEqual(["raj", "howard"]));
    expect(last().get("match")).toBe("all");
    await userEvent.type(screen.getByLabelText("With raj and…"), "leo{Enter}");
    await waitFor(() => expect(last().getAll("member")).toEqual(["raj", "howard", "leo"]));

    await userEvent.click(screen.getByRole("radio", { name: "any of them" }));
    await waitFor(() => expect(last().get("match")).toBe("any"));
    expect(window.location.hash).toBe("#/people/raj?with=howard&with=leo&match=any&from=2023-02-01");
    expect(screen.getByTestId("total")).toHaveTextContent("120 photos match");

    const chips = screen.getByRole("list", { name: "Also in the photos" });
    await userEvent.click(within(chips).getByRole("button", { name: "Remove howard" }));
    await waitFor(() => expect(last().getAll("member")).toEqual(["raj", "leo"]));
    expect(last().get("match")).toBe("any");
    // A thumbnail opens the viewer with the same list.
    expect(within(screen.getByRole("list", { name: "Photos" })).getAllByRole("link")[0]).toHaveAttribute(
      "href",
      "#/photos/1000?person=raj&with=leo&match=any&from=2023-02-01",
    );
  });

  it("says so when a name to add is nobody of the family", async () => {
    open("#/people/raj");
    await screen.findByText("120 photos · showing 50");
    await userEvent.type(screen.getByLabelText("With raj and…"), "gandalf{Enter}");
    expect(await screen.findByRole("alert")).toHaveTextContent("There is nobody called “gandalf” in the family.");
  });

  it("keeps the loaded pages when you come back from another screen", async () => {
    const calls = open("#/people/raj");
    await screen.findByText("120 photos · showing 50");
    await userEvent.click(screen.getByRole("button", { name: "Load more" }));
    await screen.findByText("120 photos · showing 100");
    act(() => {
      window.location.hash = "#/batch";
    });
    await screen.findByRole("heading", { level: 1, name: "Many photos" });
    act(() => {
      window.location.hash = "#/people/raj";
    });
    expect(await screen.findByText("120 photos · showing 100")).toBeInTheDocument();
    expect(photoCalls(calls)).toHaveLength(2);
  });
});
