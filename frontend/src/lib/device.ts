import { useEffect, useState } from "react";

const FINE = "(pointer: fine)";

function fineQuery(): MediaQueryList | null {
  return typeof window.matchMedia === "function" ? window.matchMedia(FINE) : null;
}

/**
 * Whether this device has a mouse or trackpad (and so most likely a keyboard to paste with); a phone
 * or tablet says no. Without matchMedia (old browsers, tests): yes.
 */
export function useFinePointer(): boolean {
  const [fine, setFine] = useState(() => fineQuery()?.matches ?? true);
  useEffect(() => {
    const query = fineQuery();
    if (!query) return;
    const onChange = () => setFine(query.matches);
    query.addEventListener?.("change", onChange);
    return () => query.removeEventListener?.("change", onChange);
  }, []);
  return fine;
}
