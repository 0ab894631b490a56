import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import type { Member } from "../api/client";
import { MembersProvider } from "../lib/members";
import { MEMBERS } from "../test/fixtures";
import { mockApi, photo } from "../test/mockApi";
import { FamilyScreen } from "./FamilyScreen";

const face = (id: number, member: string, source: string) => ({
  id,
  member,
  box: [0, 0, 10, 10],
  crop: "CCCC",
  source,
  origin: "enrolment",
  created: "2026-01-01T00:00:00",
});

function renderScreen() {
  return render(
    <MembersProvider>
      <FamilyScreen />
    </MembersProvider>,
  );
}


describe("Family", () => {
  it("explains what to do to a first-run visitor with no family", async () => {
    mockApi({ "GET /members": { body: [] } });
    renderScreen();
    expect(await screen.findByRole("heading", { name: /Teach it who your family is/ })).toBeInTheDocument();
    expect(screen.getByText(/Add each family member by name/)).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Train" })).not.toBeInTheDocument();
  });

  it("adds a member, then lists them", async () => {
    let members: Member[] = [];
    const calls = mockApi({
      "GET /members": () => ({ body: members }),
      "POST /members": (call) => {
        members = [{ name: (call.json as { name: string }).name, enrolled_faces: 0, hidden: false, threshold: null, validation: {} }];
        return { status: 201, body: members[0] };
      },
      "GET /members/penny/faces": { body: [] },
    });
    renderScreen();
    await userEvent.type(await screen.findByLabelText("New member’s name"), "  penny ");
    await userEvent.click(screen.getByRole("button", { name: "Add member" }));

    expect(await screen.findByRole("article", { name: "penny" })).toHaveTextContent(
      "0 faces enrolled · not trained yet",
    );
    expect(calls.find((c) => c.method === "POST")!.json).toEqual({ name: "penny" });
    expect(screen.getByLabelText("New member’s name")).toHaveValue("");
  });

  it("says so when the name is taken", async () => {
    mockApi({
      "GET /members": { body: MEMBERS },
      "GET /members/raj/faces": { body: [] },
      "GET /members/howard/faces": { body: [] },
      "POST /members": { status: 409, body: { detail: "member raj already exists" } },
    });
    renderScreen();
    await userEvent.type(await screen.findByLabelText("New member’s name"), "raj");
    await userEvent.click(screen.getByRole("button", { name: "Add member" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("There is already a member called “raj”.");
  });

  it("shows enrolled faces, uploads solo photos and lists the rejected ones with why", async () => {
    let faces = [face(1, "raj", "raj1.png")];
    const calls = mockApi({
      "GET /members": { body: MEMBERS },
      "GET /members/howard/faces": { body: [] },
      "GET /members/raj/faces": () => ({ body: faces }),
      "POST /members/raj/photos": () => {
        faces = [...faces, face(2, "raj", "raj2.png")];
        return {
          body: { member: "raj", enrolled: [faces[1]], rejected: [{ file: "group.jpg", reason: "no face found" }] },
        };
      },
    });
    renderScreen();
    const raj = await screen.findByRole("article", { name: "raj" });
    expect(await within(raj).findByRole("img", { name: "raj, from raj1.png" })).toBeInTheDocument();

    await userEvent.upload(within(raj).getByLabelText("Add photos of raj"), [
      photo("raj2.png", "image/png"),
      photo("group.jpg"),
    ]);
    expect(await within(raj).findByText(/Took 1 face; 1 photo left out/)).toBeInTheDocument();
    expect(within(raj).getByText("group.jpg").closest("li")).toHaveTextContent("group.jpg: no face found");
    expect(await within(raj).findByRole("img", { name: "raj, from raj2.png" })).toBeInTheDocument();
    const upload = calls.find((c) => c.path === "/members/raj/photos")!;
    expect(upload.form!.getAll("files").map((f) => (f as File).name)).toEqual(["raj2.png", "group.jpg"]);
  });

  it("removes a wrong face and, after confirming, a member", async () => {
    let members = MEMBERS;
    const calls = mockApi({
      "GET /members": () => ({ body: members }),
      "GET /members/howard/faces": { body: [face(7, "howard", "h.png"), face(8, "howard", "not-howard.png")] },
      "GET /members/raj/faces": { body: [] },
      "DELETE /members/howard/faces/8": { status: 204 },
      "DELETE /members/raj": () => {
        members = members.filter((m) => m.name !== "raj");
        return { status: 204 };
      },
    });
    renderScreen();
    const howard = await screen.findByRole("article", { name: "howard" });
    await userEvent.click(await within(howard).findByRole("button", { name: "Remove the face from not-howard.png" }));
    await waitFor(() =>
      expect(within(howard).queryByRole("img", { name: "howard, from not-howard.png" })).not.toBeInTheDocument(),
    );
    expect(within(howard).getByRole("img", { name: "howard, from h.png" })).toBeInTheDocument();

    const raj = screen.getByRole("article", { name: "raj" });
    await userEvent.click(within(raj).getByRole("button", { name: "Remove member raj" }));
    expect(calls.some((c) => c.method === "DELETE" && c.path === "/members/raj")).toBe(false); // not before confirming
    await userEvent.click(within(raj).getByRole("button", { name: "Yes, remove raj" }));
    await waitFor(() => expect(screen.queryByRole("article", { name: "raj" })).not.toBeInTheDocument());
    expect(calls.some((c) => c.method === "DELETE" && c.path === "/members/raj")).toBe(true);
  });

  it("keeps the focus in the face list after removing a face: the next face, else the previous, else the heading", async () => {
    mockApi({
      "GET /members": { body: MEMBERS },
      "GET /members/howard/faces": { body: [face(7, "howard", "a.png"), face(8, "howard", "b.png"), face(9, "howard", "c.png")] },
      "GET /members/raj/faces": { body: [] },
      "DELETE /members/howard/faces/7": { status: 204 },
      "DELETE /members/howard/faces/8": { status: 204 },
      "DELETE /members/howard/faces/9": { status: 204 },
    });
    renderScreen();
    const howard = await screen.findByRole("article", { name: "howard" });
    const remove = (source: string) => within(howard).getByRole("button", { name: `Remove the face from ${source}` });
    await within(howard).findByRole("button", { name: "Remove the face from b.png" });

    await userEvent.click(remove("b.png"));
    await waitFor(() => expect(remove("c.png")).toHaveFocus());
    await userEvent.keyboard("{Enter}"); // c.png, the last: the previous one next
    await waitFor(() => expect(remove("a.png")).toHaveFocus());
    await userEvent.keyboard("{Enter}");
    await waitFor(() => expect(within(howard).getByRole("heading", { name: "howard" })).toHaveFocus());
  });

  it("trains with live progress from /jobs/{id}, then shows each member's validation figures", async () => {
    let polls = 0;
    let members: Member[] = MEMBERS.map((m) => ({ ...m, threshold: null, validation: {} }));
    mockApi({
      "GET /members": () => ({ body: members }),
      "GET /members/howard/faces": { body: [] },
      "GET /members/raj/faces": { body: [] },
      "POST /train": { status: 202, body: { job_id: "j1", status_url: "/jobs/j1" } },
      "GET /jobs/j1": () => {
        polls += 1;
        if (polls < 2)
          return { body: { id: "j1", kind: "train", state: "running", progress: 0.5, stage: "train", created: "" } };
        members = MEMBERS;
        return {
          body: {
            id: "j1",
            kind: "train",
            state: "succeeded",
            progress: 1,
            stage: "done",
            created: "",
            result: { seconds: 42, warnings: ["raj: only 4 usable faces; add at least 1 more solo photo"] },
          },
        };
      },
    });
    renderScreen();
    await userEvent.click(await screen.findByRole("button", { name: "Train" }));
    expect(await screen.findByText("50% · train")).toBeInTheDocument();
    expect(screen.getByRole("progressbar", { name: "Training progress" })).toHaveAttribute("value", "0.5");
    expect(screen.getByRole("button", { name: "Training…" })).toBeDisabled();

    expect(await screen.findByText(/Training finished in 42 s/, {}, { timeout: 3000 })).toBeInTheDocument();
    const advice = screen.getByRole("heading", { name: "Who may not be recognised yet" }).parentElement!;
    expect(within(advice).getAllByRole("listitem").map((li) => li.textContent)).toEqual([
      "raj: only 4 usable faces; add at least 1 more solo photo",
    ]);
    const table = await screen.findByRole("table");
    const raj = within(table).getByRole("row", { name: /raj/ });
    expect(
      within(raj)
        .getAllByRole("cell")
        .map((c) => c.textContent),
    ).toEqual(["50%", "100%", "2"]);
  });

  it("shows members of a family trained on the command line without offering what the service cannot do", async () => {
    mockApi({
      "GET /members": { body: MEMBERS },
      "GET /members/raj/faces": { status: 404, body: { detail: "no member raj" } },
      "GET /members/howard/faces": { body: [] },
    });
    renderScreen();
    const raj = await screen.findByRole("article", { name: "raj" });
    expect(await within(raj).findByText(/Taught on the command line/)).toHaveTextContent("from 5 faces");
    expect(within(raj).queryByLabelText("Add photos of raj")).not.toBeInTheDocument();
    expect(within(raj).queryByRole("button", { name: /Remove member/ })).not.toBeInTheDocument();
    expect(within(raj).queryByRole("alert")).not.toBeInTheDocument();
    const howard = screen.getByRole("article", { name: "howard" });
    expect(within(howard).getByLabelText("Add photos of howard")).toBeInTheDocument();
  });

  it("shows why a training failed", async () => {
    mockApi({
      "GET /members": { body: MEMBERS },
      "GET /members/howard/faces": { body: [] },
      "GET /members/raj/faces": { body: [] },
      "POST /train": { status: 202, body: { job_id: "j2", status_url: "/jobs/j2" } },
      "GET /jobs/j2": {
        body: {
          id: "j2",
          kind: "train",
          state: "failed",
          progress: 0.1,
          stage: "failed",
          created: "",
          error: "no member has an enrolled face yet",
        },
      },
    });
    renderScreen();
    await userEvent.click(await screen.findByRole("button", { name: "Train" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("no member has an enrolled face yet");
  });
});
