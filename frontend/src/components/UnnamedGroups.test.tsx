import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { PeopleScreen } from "../screens/PeopleScreen";
import { MEMBERS } from "../test/fixtures";
import { job, PEOPLE, status, unnamedGroup } from "../test/library";
import { mockApi } from "../test/mockApi";
import { renderWithState } from "../test/render";

const people = { "GET /members": { body: MEMBERS }, "GET /people": { body: PEOPLE }, "GET /library": { body: status() } };

describe("Who is this? on the People screen", () => {
  it("shows the largest unnamed groups as cards with sample faces, photo counts and who they look like", async () => {
    mockApi({
      ...people,
      "GET /people/unnamed": {
        body: [
          unnamedGroup(7, 6, { photos: 5, looks_like: { member: "leo", similarity: 0.61 } }),
          unnamedGroup(3, 2, { photos: 1 }),
        ],
      },
    });
    renderWithState(<PeopleScreen />);
    expect(await screen.findByRole("heading", { level: 2, name: "Who is this?" })).toBeInTheDocument();
    const cards = within(screen.getByRole("list", { name: "Who is this?" })).getAllByRole("link");
    expect(cards).toHaveLength(2);
    expect(cards[0]).toHaveAttribute("href", "#/people/unnamed/7");
    expect(cards[0]).toHaveAccessibleName(/^Someone unnamed, 5 photos ?, looks like leo$/);
    expect([...cards[0].querySelectorAll("img")].map((i) => i.getAttribute("src"))).toEqual(
      [700, 701, 702, 703].map((id) => `http://localhost:3000/faces/${id}/crop`),
    );
    expect(cards[1]).toHaveTextContent("1 photo");
    expect(cards[1]).not.toHaveTextContent("looks like");
    expect(cards[1].querySelectorAll("img")).toHaveLength(2);
  });

  it("shows the first 8 groups, and all of them on asking", async () => {
    mockApi({ ...people, "GET /people/unnamed": { body: Array.from({ length: 11 }, (_, i) => unnamedGroup(i + 1, 12 - i)) } });
    renderWithState(<PeopleScreen />);
    const list = await screen.findByRole("list", { name: "Who is this?" });
    expect(within(list).getAllByRole("link")).toHaveLength(8);
    await userEvent.click(screen.getByRole("button", { name: "Show all 11" }));
    expect(within(list).getAllByRole("link")).toHaveLength(11);
    expect(screen.queryByRole("button", { name: /Show all/ })).not.toBeInTheDocument();
  });

  it("is not shown while there is nobody to ask about, and comes after a scan finds some", async () => {
    let scanned = false;
    const calls = mockApi({
      ...people,
      "GET /people/unnamed": () => ({ body: scanned ? [unnamedGroup(4, 3)] : [] }),
      "POST /library/scan": { status: 202, body: { job_id: "s1", status_url: "/jobs/s1" } },
      "GET /jobs/s1": () => {
        scanned = true;
        return { body: job("scan", "succeeded", 1, "done", {}) };
      },
    });
    renderWithState(<PeopleScreen />);
    await screen.findByRole("list", { name: "People" });
    await waitFor(() => expect(calls.filter((c) => c.path === "/people/unnamed")).toHaveLength(1));
    expect(screen.queryByRole("heading", { name: "Who is this?" })).not.toBeInTheDocument();
    await userEvent.click(screen.getByRole("button", { name: "Scan for new photos" }));
    const list = await screen.findByRole("list", { name: "Who is this?" }, { timeout: 3000 });
    expect(within(list).getByRole("link")).toHaveAttribute("href", "#/people/unnamed/4");
  });
});
