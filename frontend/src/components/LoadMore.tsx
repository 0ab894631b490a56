import { useEffect, useRef } from "react";

type Props = { more: boolean; loading: boolean; onMore: () => void };

/**
 * The next page when the end of the list scrolls into view (IntersectionObserver), and a real
 * "Load more" button for keyboards and browsers without it.
 */
export function LoadMore({ more, loading, onMore }: Props) {
  const sentinel = useRef<HTMLDivElement>(null);
  const latest = useRef(onMore);
  latest.current = onMore;

  useEffect(() => {
    const el = sentinel.current;
    if (!el || !more || loading || typeof IntersectionObserver === "undefined") return;
    const observer = new IntersectionObserver(
      (entries) => {
        if (entries.some((e) => e.isIntersecting)) latest.current();
      },
      { rootMargin: "400px 0px" },
    );
    observer.observe(el);
    return () => observer.disconnect();
  }, [more, loading]);

  if (!more && !loading) return null;
  return (
    <div className="load-more" ref={sentinel} data-testid="load-more">
      {loading ? (
        <p className="busy-line" role="status">
          <progress aria-label="Loading photos" /> Loading photos…
        </p>
      ) : (
        <button type="button" className="button" onClick={onMore}>
          Load more
        </button>
      )}
    </div>
  );
}
