export type Rect = { left: number; top: number; width: number; height: number };
export type Placement = "above" | "below";

function overlaps(a: Rect, b: Rect): boolean {
  return a.left < b.left + b.width && b.left < a.left + a.width && a.top < b.top + b.height && b.top < a.top + a.height;
}

/**
 * Where each box's name label goes so labels do not cover each other: above the box by default,
 * below it when above would leave the photo or overlap a label already placed (left to right).
 * `boxes` and the sizes are in the same units (rendered pixels).
 */
export function placeLabels(boxes: Rect[], labels: { width: number; height: number }[]): Placement[] {
  const order = boxes.map((_, i) => i).sort((a, b) => boxes[a].left - boxes[b].left);
  const placed: Rect[] = [];
  const out: Placement[] = boxes.map(() => "above");
  for (const i of order) {
    const box = boxes[i];
    const { width, height } = labels[i];
    const above = { left: box.left, top: box.top - height, width, height };
    const below = { left: box.left, top: box.top + box.height, width, height };
    const clear = (r: Rect) => !placed.some((p) => overlaps(p, r));
    const choice = above.top >= 0 && clear(above) ? "above" : clear(below) ? "below" : "above";
    out[i] = choice;
    placed.push(choice === "above" ? above : below);
  }
  return out;
}
