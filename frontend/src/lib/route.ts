import { useEffect, useState } from "react";

/** The app's screens, addressed by the URL hash so no app path collides with an API path. */
export type Route = "photo" | "family" | "batch";

export const ROUTES: Record<Route, string> = { photo: "#/", family: "#/family", batch: "#/batch" };

export function parseHash(hash: string): Route | null {
  const path = hash.replace(/^#\/?/, "").split(/[?/]/)[0];
  if (path === "") return hash ? "photo" : null;
  if (path === "family") return "family";
  if (path === "batch") return "batch";
  return "photo";
}

/** The current screen (null: no hash yet, the app picks one) and a way to go to another. */
export function useRoute(): [Route | null, (route: Route) => void] {
  const [route, setRoute] = useState(() => parseHash(window.location.hash));
  useEffect(() => {
    const onChange = () => setRoute(parseHash(window.location.hash));
    window.addEventListener("hashchange", onChange);
    return () => window.removeEventListener("hashchange", onChange);
  }, []);
  const go = (next: Route) => {
    window.location.hash = ROUTES[next];
    setRoute(next);
  };
  return [route, go];
}
