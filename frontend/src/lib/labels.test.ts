import { describe, expect, it } from "vitest";
import { placeLabels } from "./labels";

const label = { width: 60, height: 16 };

describe("placeLabels", () => {
  it("puts labels above their boxes when there is room", () => {
    const boxes = [
      { left: 10, top: 50, width: 40, height: 40 },
      { left: 200, top: 50, width: 40, height: 40 },
    ];
    expect(placeLabels(boxes, [label, label])).toEqual([
      { below: false, end: false },
      { below: false, end: false },
    ]);
  });

  it("moves a label below its box when it would cover its neighbour's", () => {
    const boxes = [
      { left: 10, top: 50, width: 40, height: 40 },
      { left: 40, top: 55, width: 40, height: 40 }, // its label would overlap the first one's
    ];
    expect(placeLabels(boxes, [label, label]).map((p) => p.below)).toEqual([false, true]);
  });

  it("moves a label below when the box touches the top of the photo", () => {
    expect(placeLabels([{ left: 10, top: 5, width: 40, height: 40 }], [label])).toEqual([{ below: true, end: false }]);
  });

  it("lines a label up with the box's right edge rather than stick out of the photo", () => {
    const [placement] = placeLabels([{ left: 270, top: 50, width: 25, height: 25 }], [label], 300);
    expect(placement).toEqual({ below: false, end: true });
  });
});
