import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { ProbabilityBars } from "./ProbabilityBars";

const probabilities = { amy: 0.05, raj: 0.91, howard: 0.4, penny: 0.01, leonard: 0.2 };
const thresholds = { amy: 0.7, raj: 0.8, howard: 0.85, penny: 0.9, leonard: null };

describe("ProbabilityBars", () => {
  it("shows the three most likely members first, the rest folded, each bar with its threshold", async () => {
    const { container } = render(
      <ProbabilityBars probabilities={probabilities} thresholds={thresholds} decided="raj" />,
    );
    const [first, rest] = screen.getAllByRole("list", { name: "Probability per member" });
    expect(
      within(first)
        .getAllByRole("img")
        .map((b) => b.getAttribute("aria-label")),
    ).toEqual([
      "raj: 91%, threshold 80%",
      "howard: 40%, threshold 85%",
      "leonard: 20%", // not trained yet: no threshold to mark
    ]);
    expect(rest).not.toBeVisible();
    await userEvent.click(screen.getByText("All 5 members"));
    expect(rest).toBeVisible();
    expect(within(rest).getAllByRole("img")).toHaveLength(2);

    const raj = container.querySelector(".bar--decided")!;
    expect(raj).toHaveTextContent("raj91%");
    expect(raj.querySelector(".bar__fill")).toHaveClass("bar__fill--over");
    expect((raj.querySelector(".bar__threshold") as HTMLElement).style.left).toBe("80%");
    expect(container.querySelectorAll(".bar__fill--over")).toHaveLength(1);
  });
});
