import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { App } from "../App";
import type { LibraryFace } from "../api/client";
import { MEMBERS } from "../test/fixtures";
import { face, job, libraryPhoto, status } from "../test/library";
import { deferred, mockApi } from "../test/mockApi";

// Photo 2: raj (model), a stranger who is maybe howard, nobody likely; left to right.
const PHOTO2 = libraryPhoto(2, [
  face(21, 100, "raj"),
  face(22, 400, null),
  face(23, 700, null, { probabilities: { raj: 0.01, howard: 0.05 } }),
]);
const LIST = [libraryPhoto(3, [face(31, 10, "raj")]), PHOTO2, libraryPhoto(1, [face(11, 10, "raj")])];

type Routes = Parameters<typeof mockApi>[0];

/** Photo 2 as the fake service has it now (a name changes it, as it would the service's). */
let current = PHOTO2;
const withFace = (f: LibraryFace) => (current = { ...current, faces: current.faces.map((o) => (o.id === f.id ? f : o)) });

function open(hash: string, routes: Routes = {}) {
  window.location.hash = hash;
  current = PHOTO2;
  const calls = mockApi({
    "GET /members": { body: MEMBERS },
    "GET /library": { body: status() },
    "GET /library/photos": { body: { items: LIST, next_cursor: null, total: LIST.length } },
    "GET /library/photos/1": { body: LIST[2] },
    "GET /library/photos/2": () => ({ body: current }),
    "GET /library/photos/3": { body: LIST[0] },
    ...routes,
  });
  render(<App />);
  return calls;
}

function named(f: LibraryFace, extra = {}) {
  withFace(f);
  return { face: f, photo_id: 2, created_member: false, changes_since_training: 3, training_job_id: null, ...extra };
}

const faceItems = () => within(screen.getByRole("list", { name: "Faces in this photo" })).getAllByRole("listitem");

describe("The photo viewer", () => {
  it("boxes every face on the preview, numbered left to right and named in words, as the list says", async () => {
    open("#/photos/2?person=raj");
    const boxes = await screen.findAllByTestId("face-box");
    expect(boxes.map((b) => b.textContent)).toEqual(["1 raj", "2 maybe howard", "3 not in the family"]);
    expect(boxes[1]).toHaveClass("box--stranger");
    expect(boxes[1].style.left).toBe("40%");
    expect(screen.getByRole("img", { name: "Taken 2024-05-01, with raj" })).toHaveAttribute(
      "src",
      "http://localhost:3000/library/photos/2/preview",
    );
    expect(faceItems().map((li) => within(li).getByRole("button").textContent)).toEqual([
      "1 raj",
      "2 maybe howard",
      "3 not in the family",
    ]);
    expect(screen.getByTestId("position")).toHaveTextContent("Photo 2 of 3");
    expect(screen.getByRole("link", { name: "← raj" })).toHaveAttribute("href", "#/people/raj");
  });

  it("numbers the faces left to right whatever order they come in", async () => {
    const shuffled = { ...PHOTO2, faces: [PHOTO2.faces[2], PHOTO2.faces[0], PHOTO2.faces[1]] };
    open("#/photos/2", { "GET /library/photos/2": { body: shuffled } });
    const boxes = await screen.findAllByTestId("face-box");
    expect(boxes.map((b) => b.textContent)).toEqual(["1 raj", "2 maybe howard", "3 not in the family"]);
    expect(screen.getByRole("link", { name: "← All photos" })).toHaveAttribute("href", "#/photos");
  });

  it("walks the list it was opened from with the buttons and the arrow keys", async () => {
    const calls = open("#/photos/2?person=raj&with=howard&match=any");
    await screen.findByText("Photo 2 of 3");
    const list = calls.find((c) => c.path === "/library/photos")!.query;
    expect(list.getAll("member")).toEqual(["raj", "howard"]);
    expect(list.get("match")).toBe("any");

    await userEvent.click(screen.getByRole("button", { name: "Next photo" }));
    await waitFor(() => expect(window.location.hash).toBe("#/photos/1?person=raj&with=howard&match=any"));
    expect(await screen.findByText("Photo 3 of 3")).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Next photo" })).toBeDisabled();

    await userEvent.keyboard("{ArrowLeft}");
    await waitFor(() => expect(window.location.hash).toBe("#/photos/2?person=raj&with=howard&match=any"));
    await userEvent.keyboard("{ArrowLeft}");
    expect(await screen.findByText("Photo 1 of 3")).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Previous photo" })).toBeDisabled();
    await userEvent.keyboard("{ArrowRight}");
    expect(await screen.findByText("Photo 2 of 3")).toBeInTheDocument();
  });

  it("names a face as a member from the suggestions; the change shows at once with the changes to learn", async () => {
    const calls = open("#/photos/2?person=raj", {
      "POST /faces/22/name": (call) => ({
        body: named({ ...PHOTO2.faces[1], member: (call.json as { member: string }).member, named_by: "person" }),
      }),
    });
    await screen.findByText("Photo 2 of 3");
    await userEvent.click(within(faceItems()[1]).getByRole("button", { name: "2 maybe howard" }));
    const form = screen.getByRole("form", { name: "Name Face 2" });
    const input = within(form).getByLabelText("This is");
    const options = Array.from(document.getElementById(input.getAttribute("list")!)!.querySelectorAll("option"));
    expect(options.map((o) => o.value)).toEqual(["howard", "raj"]);
    await userEvent.type(input, "howard");
    await userEvent.click(within(form).getByRole("button", { name: "Save" }));

    expect(await within(faceItems()[1]).findByText("Saved: howard.")).toBeInTheDocument();
    expect(faceItems()[1]).toHaveTextContent("2 howard · named by you");
    expect(screen.getAllByTestId("face-box")[1]).toHaveTextContent("2 howard ✓");
    expect(screen.getByTestId("changes")).toHaveTextContent("3 changes since the last training.");
    expect(calls.find((c) => c.path === "/faces/22/name")!.json).toEqual({ member: "howard" });
  });

  it("shows a new name from the service's answer, before the photo is asked for again", async () => {
    const later = deferred<{ body: unknown }>();
    let asked = 0;
    open("#/photos/2?person=raj", {
      "GET /library/photos/2": () => (++asked === 1 ? { body: PHOTO2 } : later.promise),
      "POST /faces/23/name": () => ({ body: named({ ...PHOTO2.faces[2], member: "howard", named_by: "person" }) }),
    });
    await screen.findByText("Photo 2 of 3");
    await userEvent.click(within(faceItems()[2]).getByRole("button", { name: "3 not in the family" }));
    await userEvent.type(screen.getByLabelText("This is"), "howard{Enter}");
    expect(await within(faceItems()[2]).findByText("Saved: howard.")).toBeInTheDocument();
    expect(faceItems()[2]).toHaveTextContent("3 howard · named by you");
    expect(asked).toBe(2); // asked again, not answered yet
    later.resolve({ body: current });
  });

  it("names a face as a new person", async () => {
    const calls = open("#/photos/2?person=raj", {
      "POST /faces/23/name": (call) => ({
        body: named(
          { ...PHOTO2.faces[2], member: (call.json as { member: string }).member, named_by: "person" },
          { created_member: true },
        ),
      }),
    });
    await screen.findByText("Photo 2 of 3");
    await userEvent.click(screen.getAllByTestId("face-box")[2]); // a click on the box picks the face too
    await userEvent.click(screen.getByRole("button", { name: "New person…" }));
    const input = screen.getByLabelText("New person’s name");
    expect(input).toHaveFocus();
    await userEvent.type(input, "grandma");
    await userEvent.click(screen.getByRole("button", { name: "Add grandma" }));
    expect(await screen.findByText("Saved: grandma, new to the family.")).toBeInTheDocument();
    expect(calls.find((c) => c.path === "/faces/23/name")!.json).toEqual({ member: "grandma" });
    // The new member is asked for, so the suggestions have them next time.
    await waitFor(() => expect(calls.filter((c) => c.path === "/members").length).toBeGreaterThan(1));
  });

  it("says a face is not in the family, then undoes it", async () => {
    const calls = open("#/photos/2?person=raj", {
      "POST /faces/21/name": () => ({ body: named({ ...PHOTO2.faces[0], member: null, named_by: "person" }) }),
      "DELETE /faces/21/name": () => ({ body: named(PHOTO2.faces[0], { changes_since_training: 2 }) }),
    });
    await screen.findByText("Photo 2 of 3");
    await userEvent.click(within(faceItems()[0]).getByRole("button", { name: "1 raj" }));
    expect(within(faceItems()[0]).queryByRole("button", { name: "Undo" })).not.toBeInTheDocument(); // the model's only
    await userEvent.click(within(faceItems()[0]).getByRole("button", { name: "Not in the family" }));
    expect(await within(faceItems()[0]).findByText("Saved: not in the family.")).toBeInTheDocument();
    expect(calls.find((c) => c.path === "/faces/21/name")!.json).toEqual({ member: null });
    // Named by a person: "not in the family", whatever the probabilities say.
    expect(faceItems()[0]).toHaveTextContent("1 not in the family · named by you");

    await userEvent.click(within(faceItems()[0]).getByRole("button", { name: "Undo" }));
    expect(await within(faceItems()[0]).findByText(/Undone/)).toBeInTheDocument();
    expect(calls.some((c) => c.method === "DELETE" && c.path === "/faces/21/name")).toBe(true);
    expect(faceItems()[0]).toHaveTextContent("1 raj");
    expect(within(faceItems()[0]).getByLabelText("This is")).toHaveFocus(); // not lost with the Undo button
    expect(screen.getByTestId("changes")).toHaveTextContent("2 changes since the last training.");
  });

  it("says in words, next to the face, why a name was refused", async () => {
    open("#/photos/2?person=raj", {
      "POST /faces/22/name": (call) =>
        (call.json as { member: string }).member === "raj"
          ? {
              status: 409,
              body: { detail: "another face of this photo (face 21) was named 'raj': a person is in a photo once; undo that name first" },
            }
          : { status: 422, body: { detail: "a name cannot contain '/'" } },
    });
    await screen.findByText("Photo 2 of 3");
    await userEvent.click(within(faceItems()[1]).getByRole("button", { name: "2 maybe howard" }));
    await userEvent.type(screen.getByLabelText("This is"), "raj{Enter}");
    expect(await within(faceItems()[1]).findByRole("alert")).toHaveTextContent(
      "raj is already named on another face of this photo",
    );
    await userEvent.clear(screen.getByLabelText("This is"));
    await userEvent.type(screen.getByLabelText("This is"), "a/b{Enter}");
    expect(await within(faceItems()[1]).findByRole("alert")).toHaveTextContent("“a/b” cannot be a name: a name cannot contain '/'.");
    expect(faceItems()[1]).toHaveTextContent("2 maybe howard"); // unchanged
  });

  it("shows the training a name started, live", async () => {
    let polls = 0;
    open("#/photos/2?person=raj", {
      "POST /faces/22/name": () => ({
        body: named({ ...PHOTO2.faces[1], member: "howard", named_by: "person" }, { training_job_id: "t7" }),
      }),
      "GET /jobs/t7": () => {
        polls += 1;
        return { body: polls < 2 ? job("train", "running", 0.3, "train") : job("train", "succeeded", 1, "done") };
      },
    });
    await screen.findByText("Photo 2 of 3");
    await userEvent.click(within(faceItems()[1]).getByRole("button", { name: "2 maybe howard" }));
    await userEvent.type(screen.getByLabelText("This is"), "howard{Enter}");
    expect(await screen.findByText("Training: 30% · train")).toBeInTheDocument();
    expect(await screen.findByText(/Training finished/, {}, { timeout: 3000 })).toBeInTheDocument();
  });

  it("opens from a person's page, and that page shows the library as it is now after a name", async () => {
    const calls = open("#/people/raj", {
      "POST /faces/31/name": () => ({
        body: { ...named({ ...LIST[0].faces[0], member: null, named_by: "person" }), photo_id: 3 },
      }),
    });
    const thumbs = await screen.findAllByRole("link", { name: /^Taken/ });
    await userEvent.click(thumbs[0]);
    expect(await screen.findByText("Photo 1 of 3")).toBeInTheDocument();
    expect(window.location.hash).toBe("#/photos/3?person=raj");
    await userEvent.click(within(faceItems()[0]).getByRole("button", { name: "1 raj" }));
    await userEvent.click(screen.getByRole("button", { name: "Not in the family" }));
    await screen.findByText("Saved: not in the family.");
    const lists = () => calls.filter((c) => c.path === "/library/photos").length;
    expect(lists()).toBe(1); // the viewer walked the page's list, loaded once
    await userEvent.click(screen.getByRole("link", { name: "← raj" }));
    await screen.findByRole("heading", { level: 1, name: "raj" });
    await waitFor(() => expect(lists()).toBe(2));
  });

  it("keeps the arrow keys for a field being typed in", async () => {
    open("#/photos/2?person=raj");
    await screen.findByText("Photo 2 of 3");
    await userEvent.click(within(faceItems()[1]).getByRole("button", { name: "2 maybe howard" }));
    await userEvent.type(screen.getByLabelText("This is"), "ho{ArrowLeft}");
    expect(window.location.hash).toBe("#/photos/2?person=raj");
  });
});
