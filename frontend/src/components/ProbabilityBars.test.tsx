import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { ProbabilityBars } from "./ProbabilityBars";

const probabilities = { amy: 0.05, raj: 0.91, howard: 0.4, penny: 0.01, leonard: 0.2 };

describe("ProbabilityBars", () => {
  it("shows the three most likely members first, the rest folded, the decided member's bar highlighted", async () => {
    const { container } = render(<ProbabilityBars probabilities={probabilities} decided="raj" />);
    const [first, rest] = screen.getAllByRole("list", { name: "Probability per member" });
    expect(
      within(first)
        .getAllByRole("img")
        .map((b) => b.getAttribute("aria-label")),
    ).toEqual(["raj: 91%", "howard: 40%", "leonard: 20%"]);
    expect(rest).not.toBeVisible();
    await userEvent.click(screen.getByText("All 5 members"));
    expect(rest).toBeVisible();
    expect(within(rest).getAllByRole("img")).toHaveLength(2);

    const decided = container.querySelectorAll(".bar--decided");
    expect(decided).toHaveLength(1);
    expect(decided[0]).toHaveTextContent("raj91%");
    expect((decided[0].querySelector(".bar__fill") as HTMLElement).style.width).toBe("91%");
    // No per-member threshold marks: every threshold is 50% now, said once in the legend.
    expect(container.querySelectorAll(".bar__threshold")).toHaveLength(0);
  });

  it("highlights no bar when nobody was decided", () => {
    const { container } = render(<ProbabilityBars probabilities={probabilities} decided={null} />);
    expect(container.querySelectorAll(".bar--decided")).toHaveLength(0);
  });
});
