import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { renderWithState } from "../test/render";
import { deferred, mockApi, photo } from "../test/mockApi";
import { MEMBERS, PREDICTION } from "../test/fixtures";
import { PhotoScreen } from "./PhotoScreen";

function renderScreen() {
  return renderWithState(<PhotoScreen />);
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

  it("numbers the faces left to right, on the boxes and in the list, whatever order the service sent them in", async () => {
    const [left, right] = PREDICTION.faces;
    const howard = { ...right, member: "howard" };
    mockApi({
      "GET /members": { body: MEMBERS },
      "POST /predict": { body: { ...PREDICTION, faces: [howard, left], present: ["howard", "raj"] } },
    });
    renderScreen();
    await userEvent.upload(screen.getByLabelText("Choose photos"), photo());
    const boxes = await screen.findAllByTestId("face-box");
    expect(boxes.map((b) => b.textContent)).toEqual(["1 raj", "2 howard"]);
    expect(screen.getByTestId("present")).toHaveTextContent("Present: rajhoward");
    expect(boxes[0].style.left).toBe("10%");
    const faces = screen.getByRole("list", { name: "Faces in family.jpg" });
    expect(within(faces).getAllByRole("heading").map((h) => h.textContent)).toEqual(["1 raj", "2 howard"]);
  });

  it("shows the service's preview of a HEIC photo, which the browser cannot show itself", async () => {
    const calls = mockApi({
      "GET /members": { body: MEMBERS },
      "POST /predict": { body: { ...PREDICTION, preview: "UFJFVklFVw==" } },
    });
    renderScreen();
    await userEvent.upload(screen.getByLabelText("Choose photos"), photo("IMG_0001.HEIC", "image/heic"));
    const card = await screen.findByRole("article", { name: "IMG_0001.HEIC" });
    await within(card).findByTestId("present");
    expect(within(card).getByRole("img", { name: "IMG_0001.HEIC: raj" })).toHaveAttribute(
      "src",
      "data:image/jpeg;base64,UFJFVklFVw==",
    );
    expect(calls.find((c) => c.path === "/predict")!.query.get("preview")).toBe("true");
  });

  it("asks for no preview of a photo the browser can show", async () => {
    const calls = mockApi({ "GET /members": { body: MEMBERS }, "POST /predict": { body: PREDICTION } });
    renderScreen();
    await userEvent.upload(screen.getByLabelText("Choose photos"), photo("a.jpg"));
    await screen.findByTestId("present");
    expect(calls.find((c) => c.path === "/predict")!.query.get("preview")).toBeNull();
    expect(screen.getByRole("img", { name: "a.jpg: raj" })).toHaveAttribute("src", expect.stringMatching(/^blob:/));
  });

  it("refuses a photo over the service's size limit before sending it, with the limit in words", async () => {
    const calls = mockApi({
      "GET /members": { body: MEMBERS },
      "GET /version": { body: { version: "1", detector: {}, embedder: {}, recipe: null, family_created: null, limits: { max_upload_mb: 1, max_batch_files: 64 } } },
      "POST /predict": { body: PREDICTION },
    });
    renderScreen();
    const big = new File([new Uint8Array(1_500_000)], "big.jpg", { type: "image/jpeg" });
    await userEvent.upload(screen.getByLabelText("Choose photos"), [big, photo("small.jpg")]);
    const card = await screen.findByRole("article", { name: "big.jpg" });
    expect(await within(card).findByRole("alert")).toHaveTextContent(
      "“big.jpg” is 1.5 MB, over the service’s limit of 1 MB per photo, so it was not sent.",
    );
    await screen.findByRole("article", { name: "small.jpg" });
    await waitFor(() => expect(calls.filter((c) => c.path === "/predict")).toHaveLength(1));
    expect((calls.find((c) => c.path === "/predict")!.form!.get("file") as File).name).toBe("small.jpg");
    expect(calls.filter((c) => c.path === "/version")).toHaveLength(1);
  });

  it("sends the photo anyway when the service does not say its limits", async () => {
    const calls = mockApi({
      "GET /members": { body: MEMBERS },
      "GET /version": { status: 500, body: { detail: "boom" } },
      "POST /predict": { body: PREDICTION },
    });
    renderScreen();
    const big = new File([new Uint8Array(1_500_000)], "big.jpg", { type: "image/jpeg" });
    await userEvent.upload(screen.getByLabelText("Choose photos"), big);
    await screen.findByTestId("present");
    expect(calls.filter((c) => c.path === "/predict")).toHaveLength(1);
  });

  it("speaks of pasting only where there is a keyboard to paste with", async () => {
    mockApi({ "GET /members": { body: MEMBERS } });
    const coarse = { matches: false, addEventListener: () => {}, removeEventListener: () => {} };
    vi.stubGlobal("matchMedia", (query: string) => ({ ...coarse, media: query }));
    renderScreen();
    expect(screen.getByText(/They are only sent to your own photo service/)).not.toHaveTextContent("Ctrl+V");
  });

  it("offers to paste on a computer", async () => {
    mockApi({ "GET /members": { body: MEMBERS } });
    const fine = { matches: true, addEventListener: () => {}, removeEventListener: () => {} };
    vi.stubGlobal("matchMedia", (query: string) => ({ ...fine, media: query }));
    renderScreen();
    expect(screen.getByText(/They are only sent to your own photo service/)).toHaveTextContent("Ctrl+V");
  });
});
