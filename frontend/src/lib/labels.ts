export type Rect = { left: number; top: number; width: number; height: number };
export type Placement = { below: boolean; end: boolean };

function overlaps(a: Rect, b: Rect): boolean {
  return a.left < b.left + b.width && b.left < a.left + a.width && a.top < b.top + b.height && b.top < a.top + a.height;
}

/**
 * Where each box's name label goes so labels do not cover each other: above the box by default,
 * below it when above would leave the photo or overlap a label already placed (left to right);
 * lined up with the box's right edge (`end`) where it would stick out of the photo's right side.
 * `boxes`, the sizes and `frameWidth` are in the same units (rendered pixels).
 */
export function placeLabels(
  boxes: Rect[],
  labels: { width: number; height: number }[],
  frameWidth = Infinity,
): Placement[] {
  const order = boxes.map((_, i) => i).sort((a, b) => boxes[a].left - boxes[b].left);
  const placed: Rect[] = [];
  const out: Placement[] = boxes.map(() => ({ below: false, end: false }));
  for (const i of order) {
    const box = boxes[i];
    const { width, height } = labels[i];
    const end = box.left + width > frameWidth;
    const left = end ? box.left + box.width - width : box.left;
    const above = { left, top: box.top - height, width, height };
    const below = { left, top: box.top + box.height, width, height };
    const clear = (r: Rect) => !placed.some((p) => overlaps(p, r));
    const isBelow = !(above.top >= 0 && clear(above)) && clear(below);
    out[i] = { below: isBelow, end };
    placed.push(isBelow ? below : above);
  }
  return out;
}
