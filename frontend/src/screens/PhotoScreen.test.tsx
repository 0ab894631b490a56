import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { MembersProvider } from "../lib/members";
import { deferred, mockApi, photo } from "../test/mockApi";
import { MEMBERS, PREDICTION } from "../test/fixtures";
import { PhotoScreen } from "./PhotoScreen";

function renderScreen() {
  return render(
    <MembersProvider>
      <PhotoScreen />
    </MembersProvider>,
  );
}

describe("Who's in this photo", () => {
  it("draws a box per face with the member's name, strangers marked, and a present summary", async () => {
    const calls = mockApi({ "GET /members": { body: MEMBERS }, "POST /predict": { body: PREDICTION } });
    renderScreen();
    await userEvent.upload(screen.getByLabelText("Choose photos"), photo("bbt.jpg"));

    const card = await screen.findByRole("article", { name: "bbt.jpg" });
    const boxes = await within(card).findAllByTestId("face-box");
    expect(boxes.map((b) => b.textContent)).toEqual(["1 raj", "2 maybe howard"]); // howard 40%: not decided
    expect(boxes[0]).toHaveClass("box--member");
    expect(boxes[1]).toHaveClass("box--stranger");
    // Boxes sit where the service found the faces, in percent of the photo.
    expect(boxes[1].style.left).toBe("60%");
    expect(boxes[1].style.top).toBe("24%");

    const present = within(card).getByTestId("present");
    expect(present).toHaveTextContent("Present: raj");
    expect(present).toHaveTextContent("1 stranger");

    // Screen readers hear the answer when it arrives.
    expect(within(card).getByText("bbt.jpg: raj is in it, and 1 stranger.")).toHaveAttribute("role", "status");

    const predict = calls.find((c) => c.path === "/predict")!;
    expect(predict.query.get("crops")).toBe("true");
    expect((predict.form!.get("file") as File).name).toBe("bbt.jpg");
  });

  it("says what each face is in words beside its crop and a bar per member, with no threshold marks", async () => {
    const nobody = { ...PREDICTION.faces[1], box: [800, 100, 900, 200], probabilities: { raj: 0.05, howard: 0.12 } };
    const prediction = { ...PREDICTION, faces: [...PREDICTION.faces, nobody] };
    mockApi({ "GET /members": { body: MEMBERS }, "POST /predict": { body: prediction } });
    const { container } = renderScreen();
    await userEvent.upload(screen.getByLabelText("Choose photos"), photo());

    const faces = await screen.findByRole("list", { name: "Faces in family.jpg" });
    const items = within(faces)
      .getAllByRole("listitem", { name: "" })
      .filter((li) => li.classList.contains("face"));
    expect(items).toHaveLength(3);
    // The words are the headings' text, for screen readers too, not only the colours.
    expect(items.map((li) => within(li).getByRole("heading").textContent)).toEqual([
      "1 raj",
      "2 maybe howard",
      "3 not in the family",
    ]);
    expect(within(items[0]).getByRole("img", { name: "Face 1: raj" })).toHaveAttribute(
      "src",
      "data:image/jpeg;base64,AAAA",
    );
    expect(within(items[1]).getByRole("img", { name: "Face 2: maybe howard" })).toBeInTheDocument();
    expect(within(items[2]).getByRole("form", { name: "Correct Face 3: not in the family" })).toBeInTheDocument();
    expect(within(items[0]).getByRole("img", { name: "raj: 92%" })).toBeInTheDocument();
    expect(within(items[1]).getByRole("img", { name: "howard: 40%" })).toBeInTheDocument();
    expect(container.querySelectorAll(".bar__threshold")).toHaveLength(0);
    expect(screen.getByText(/it is that member when the bar reaches 50%/)).toHaveTextContent(
      "70% means about 7 in 10 faces shown 70% were that member",
    );
    expect(screen.queryByText(/threshold/)).not.toBeInTheDocument();
  });

  it("shows a progress state while the request runs", async () => {
    const reply = deferred<{ body: unknown }>();
    mockApi({ "GET /members": { body: MEMBERS }, "POST /predict": () => reply.promise });
    renderScreen();
    await userEvent.upload(screen.getByLabelText("Choose photos"), photo("big.jpg"));

    const card = await screen.findByRole("article", { name: "big.jpg" });
    expect(await within(card).findByText(/Looking for faces/)).toBeInTheDocument();
    expect(within(card).getByRole("progressbar", { name: "Looking for faces in big.jpg" })).toBeInTheDocument();
    reply.resolve({ body: PREDICTION });
    await waitFor(() => expect(within(card).queryByRole("progressbar")).not.toBeInTheDocument());
    expect(within(card).getByTestId("present")).toHaveTextContent("raj");
  });

  it("says what went wrong next to the photo that caused it", async () => {
    mockApi({
      "GET /members": { body: MEMBERS },
      "POST /predict": (call) =>
        (call.form!.get("file") as File).name === "notes.jpg"
          ? { status: 415, body: { detail: "not an image" } }
          : { status: 413, body: { detail: "huge.jpg is over the 25 MB limit" } },
    });
    renderScreen();
    await userEvent.upload(screen.getByLabelText("Choose photos"), [photo("notes.jpg"), photo("huge.jpg")]);

    const notes = await screen.findByRole("article", { name: "notes.jpg" });
    expect(await within(notes).findByRole("alert")).toHaveTextContent(
      /“notes.jpg” is not a picture the service can read/,
    );
    const huge = screen.getByRole("article", { name: "huge.jpg" });
    expect(await within(huge).findByRole("alert")).toHaveTextContent(/“huge.jpg” is too large to send/);
  });

  it("takes a pasted photo", async () => {
    mockApi({ "GET /members": { body: MEMBERS }, "POST /predict": { body: PREDICTION } });
    renderScreen();
    const event = new Event("paste", { bubbles: true, cancelable: true }) as Event & { clipboardData: unknown };
    event.clipboardData = { files: [photo("pasted.png", "image/png")] };
    document.dispatchEvent(event);
    expect(await screen.findByRole("article", { name: "pasted.png" })).toBeInTheDocument();
  });

  it("points to the Family screen while no family is trained", async () => {
    mockApi({ "GET /members": { body: [] } });
    renderScreen();
    expect(await screen.findByRole("link", { name: "Teach it your family" })).toHaveAttribute("href", "#/family");
  });
});
