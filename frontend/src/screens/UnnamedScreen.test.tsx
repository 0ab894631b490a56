import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { App } from "../App";
import type { UnnamedFace } from "../api/client";
import { MEMBERS } from "../test/fixtures";
import { job, status, unnamedGroup } from "../test/library";
import { mockApi, type Call } from "../test/mockApi";

const GROUP = unnamedGroup(7, 4, { photos: 4, looks_like: { member: "raj", similarity: 0.6 } });
const FACES: UnnamedFace[] = [701, 702, 703, 704].map((id, i) => ({ face_id: id, photo_id: 50 + i, box: [1, 2, 30, 40] }));
const OTHER = unnamedGroup(9, 3, { photos: 2 });

function open(routes: Parameters<typeof mockApi>[0] = {}) {
  window.location.hash = "#/people/unnamed/7";
  const calls = mockApi({
    "GET /members": { body: MEMBERS },
    "GET /people/unnamed/7": { body: GROUP },
    "GET /people/unnamed/7/faces": { body: FACES },
    "GET /people/unnamed": { body: [GROUP, OTHER] },
    ...routes,
  });
  render(<App />);
  return calls;
}

const named = (member: string, extra = {}) => ({
  body: {
    member,
    named_face_ids: [701, 702, 704],
    skipped_face_ids: [],
    created_member: false,
    changes_since_training: 3,
    training_job_id: "t1",
    ...extra,
  },
});
const sent = (calls: Call[], path: string) => calls.find((c) => c.method === "POST" && c.path === path);

describe("A group nobody has named", () => {
  it("shows every face ticked, each labelled, and what it looks like", async () => {
    open();
    expect(await screen.findByRole("heading", { level: 1, name: "Who is this?" })).toBeInTheDocument();
    expect(await screen.findByTestId("group-size")).toHaveTextContent("4 faces in 4 photos · looks like raj.");
    const boxes = within(screen.getByRole("list", { name: "Faces in this group" })).getAllByRole("checkbox");
    expect(boxes).toHaveLength(4);
    boxes.forEach((box) => expect(box).toBeChecked());
    expect(screen.getByLabelText("Face 2 of 4 — is this person")).toBe(boxes[1]);
    const crop = boxes[1].closest("label")!.querySelector("img")!;
    expect(crop).toHaveAttribute("src", "http://localhost:3000/faces/702/crop");
    expect(screen.getByRole("link", { name: "Photo of face 2" })).toHaveAttribute("href", "#/photos/51");
    expect(document.title).toBe("Who is this? · People · Family photos");
    expect(screen.getByRole("link", { name: "People" })).toHaveAttribute("aria-current", "page");
  });

  it("names the ticked faces (the unticked sent as excluded), then opens the person's page with the training", async () => {
    let polls = 0;
    const calls = open({
      "POST /people/unnamed/7/name": named("leo", { created_member: true }),
      "GET /library": { body: status() },
      "GET /library/photos": { body: { items: [], next_cursor: null, total: 3 } },
      "GET /jobs/t1": () => ((polls += 1), { body: job("train", polls < 2 ? "running" : "succeeded", 0.5, "train") }),
    });
    await userEvent.click(await screen.findByLabelText("Face 3 of 4 — is this person"));
    expect(screen.getByLabelText("Face 3 of 4 — is this person")).not.toBeChecked();
    expect(screen.getByRole("link", { name: "Not them · photo of face 3" })).toBeInTheDocument();
    await userEvent.type(screen.getByLabelText("This is"), "leo");
    expect(screen.getByText(/Nobody is called “leo” yet/)).toBeInTheDocument();
    await userEvent.click(screen.getByRole("button", { name: "Name 3 faces" }));

    expect(sent(calls, "/people/unnamed/7/name")!.json).toEqual({ member: "leo", exclude_face_ids: [703] });
    await waitFor(() => expect(window.location.hash).toBe("#/people/leo"));
    expect(await screen.findByRole("heading", { level: 1, name: "leo" })).toBeInTheDocument();
    expect(await screen.findByTestId("total")).toHaveTextContent("3 photos");
    expect(await screen.findByText(/Training finished/, {}, { timeout: 3000 })).toBeInTheDocument();
    // A new member: the family is asked again.
    expect(calls.filter((c) => c.path === "/members").length).toBeGreaterThanOrEqual(2);
  });

  it("names the group as the member it looks like in one click, matching a typed name's case to the member's", async () => {
    const calls = open({ "POST /people/unnamed/7/name": named("raj", { training_job_id: null }), "GET /library": { body: status() } });
    await userEvent.click(await screen.findByRole("button", { name: "It’s raj" }));
    expect(sent(calls, "/people/unnamed/7/name")!.json).toEqual({ member: "raj", exclude_face_ids: [] });
    await waitFor(() => expect(window.location.hash).toBe("#/people/raj"));
  });

  it("says what is wrong when the name is refused, and names nothing with every face unticked", async () => {
    const calls = open({ "POST /people/unnamed/7/name": { status: 422, body: { detail: "not a usable name" } } });
    await userEvent.type(await screen.findByLabelText("This is"), "RAJ{Enter}");
    expect(sent(calls, "/people/unnamed/7/name")!.json).toEqual({ member: "raj", exclude_face_ids: [] });
    expect(await screen.findByRole("alert")).toHaveTextContent("could not be read: not a usable name");
    expect(window.location.hash).toBe("#/people/unnamed/7");

    for (const box of screen.getAllByRole("checkbox")) await userEvent.click(box);
    await userEvent.click(screen.getByRole("button", { name: "Name 0 faces" }));
    expect(screen.getByText(/Every face is unticked/)).toBeInTheDocument();
    expect(calls.filter((c) => c.path === "/people/unnamed/7/name")).toHaveLength(1);
  });

  it("ignores the group (not someone we know) and goes back to People", async () => {
    const calls = open({
      "POST /people/unnamed/7/ignore": { body: { ...GROUP, ignored: true } },
      "GET /people": { body: [] },
      "GET /library": { body: status() },
    });
    await userEvent.click(await screen.findByRole("button", { name: "Not someone we know" }));
    expect(sent(calls, "/people/unnamed/7/ignore")).toBeDefined();
    await waitFor(() => expect(window.location.hash).toBe("#/people"));
  });

  it("merges with another group picked by its face and size, then opens the merged group", async () => {
    const merged = { ...OTHER, faces: 7, photos: 6 };
    const calls = open({
      "POST /people/unnamed/7/merge": { body: merged },
      "GET /people/unnamed/9": { body: merged },
      "GET /people/unnamed/9/faces": { body: FACES },
    });
    await userEvent.click(await screen.findByText("Merge with…"));
    const others = await screen.findByRole("list", { name: "Other groups" });
    const picks = within(others).getAllByRole("button");
    expect(picks).toHaveLength(1); // not this group itself
    expect(picks[0]).toHaveAccessibleName(/^Merge with 3 faces in 2 photos$/);
    expect(picks[0].querySelector("img")).toHaveAttribute("src", "http://localhost:3000/faces/900/crop");
    await userEvent.click(picks[0]);
    expect(sent(calls, "/people/unnamed/7/merge")!.json).toEqual({ into: 9 });
    await waitFor(() => expect(window.location.hash).toBe("#/people/unnamed/9"));
    expect(await screen.findByTestId("group-size")).toHaveTextContent("7 faces in 6 photos.");
  });

  it("says so, with a way back, when the group is gone (named or merged since)", async () => {
    open({ "GET /people/unnamed/7": { status: 404, body: { detail: "no such group" } } });
    expect(await screen.findByRole("alert")).toHaveTextContent("This group is not here any more");
    expect(screen.getByRole("link", { name: "← Back to People" })).toHaveAttribute("href", "#/people");
  });

  it("says so when the group goes while it is open (named in another tab)", async () => {
    open({ "POST /people/unnamed/7/ignore": { status: 404, body: { detail: "no such group" } } });
    await userEvent.click(await screen.findByRole("button", { name: "Not someone we know" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("This group is not here any more");
  });
});
