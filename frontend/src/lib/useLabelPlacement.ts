import { useLayoutEffect, useState } from "react";
import { placeLabels, type Placement } from "./labels";

/** Labels above or below their boxes, re-placed whenever the photo's rendered size changes. */
export function useLabelPlacement(frame: React.RefObject<HTMLDivElement | null>, count: number): Placement[] {
  const [placements, setPlacements] = useState<Placement[]>([]);
  useLayoutEffect(() => {
    const el = frame.current;
    if (!el || !count) return;
    const measure = () => {
      const origin = el.getBoundingClientRect();
      const boxes = Array.from(el.querySelectorAll<HTMLElement>("[data-testid=face-box]"));
      const rects = boxes.map((b) => {
        const r = b.getBoundingClientRect();
        return { left: r.left - origin.left, top: r.top - origin.top, width: r.width, height: r.height };
      });
      const sizes = boxes.map((b) => {
        const label = b.querySelector<HTMLElement>(".box__label");
        return { width: label?.offsetWidth ?? 0, height: label?.offsetHeight ?? 0 };
      });
      const next = placeLabels(rects, sizes, origin.width);
      setPlacements((old) => (JSON.stringify(old) === JSON.stringify(next) ? old : next));
    };
    measure();
    const observer = typeof ResizeObserver === "undefined" ? null : new ResizeObserver(measure);
    observer?.observe(el);
    return () => observer?.disconnect();
  }, [frame, count]);
  return placements;
}
