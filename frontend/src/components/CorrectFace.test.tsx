import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { MembersProvider } from "../lib/members";
import { MEMBERS } from "../test/fixtures";
import { mockApi, photo } from "../test/mockApi";
import { CorrectFace } from "./CorrectFace";

const saved = (who: string) => ({
  face: {},
  added_as: "member",
  message: `Saved as ${who}: the next training will use it.`,
});

describe("Correct it", () => {
  it("sends 'this is …' with the photo and the face's box, and says the next training will use it", async () => {
    const calls = mockApi({
      "GET /members": { body: MEMBERS },
      "POST /feedback": { body: saved("an example of howard") },
    });
    render(
      <MembersProvider>
        <CorrectFace file={photo("bbt.jpg")} box={[1, 2, 30, 40]} label="Face 1: raj" />
      </MembersProvider>,
    );
    const select = await screen.findByLabelText("This is");
    await screen.findByRole("option", { name: "howard" });
    expect(screen.getByRole("button", { name: "Save" })).toBeDisabled(); // nobody is picked for you
    await userEvent.selectOptions(select, "howard");
    await userEvent.click(screen.getByRole("button", { name: "Save" }));

    expect(await screen.findByRole("status")).toHaveTextContent(
      "Saved as an example of howard: the next training will use it.",
    );
    const form = calls.find((c) => c.path === "/feedback")!.form!;
    expect(form.get("member")).toBe("howard");
    expect(form.get("box")).toBe("[1,2,30,40]");
    expect((form.get("file") as File).name).toBe("bbt.jpg");
  });

  it("'not anyone in the family' sends an empty member", async () => {
    const calls = mockApi({
      "GET /members": { body: MEMBERS },
      "POST /feedback": { body: saved("a stranger example") },
    });
    render(
      <MembersProvider>
        <CorrectFace file={photo()} box={[1, 2, 30, 40]} label="Face 1: raj" />
      </MembersProvider>,
    );
    await userEvent.click(await screen.findByRole("button", { name: "Not anyone in the family" }));
    expect(await screen.findByText(/a stranger example: the next training will use it/)).toBeInTheDocument();
    expect(calls.find((c) => c.path === "/feedback")!.form!.get("member")).toBe("");
  });

  it("shows the service's refusal in words", async () => {
    mockApi({
      "GET /members": { body: MEMBERS },
      "POST /feedback": { status: 422, body: { detail: "no face at that box" } },
    });
    render(
      <MembersProvider>
        <CorrectFace file={photo("x.jpg")} box={[1, 2, 30, 40]} label="Face 1: stranger" />
      </MembersProvider>,
    );
    await userEvent.click(await screen.findByRole("button", { name: "Not anyone in the family" }));
    expect(await screen.findByText("“x.jpg” could not be read: no face at that box.")).toHaveClass("error");
  });
});
