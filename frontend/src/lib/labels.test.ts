import { describe, expect, it } from "vitest";
import { placeLabels } from "./labels";

const label = { width: 60, height: 16 };

describe("placeLabels", () => {
  it("puts labels above their boxes when there is room", () => {
    const boxes = [
      { left: 10, top: 50, width: 40, height: 40 },
      { left: 200, top: 50, width: 40, height: 40 },
    ];
    expect(placeLabels(boxes, [label, label])).toEqual(["above", "above"]);
  });

  it("moves a label below its box when it would cover its neighbour's", () => {
    const boxes = [
      { left: 10, top: 50, width: 40, height: 40 },
      { left: 40, top: 55, width: 40, height: 40 }, // its label would overlap the first one's
    ];
    expect(placeLabels(boxes, [label, label])).toEqual(["above", "below"]);
  });

  it("moves a label below when the box touches the top of the photo", () => {
    expect(placeLabels([{ left: 10, top: 5, width: 40, height: 40 }], [label])).toEqual(["below"]);
  });
});
