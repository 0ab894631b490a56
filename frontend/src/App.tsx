import { useEffect, useId, useState, type FormEvent, type ReactNode } from "react";
import { apiKey, setApiKey } from "./api/client";
import { BatchSessionProvider } from "./lib/batchSession";
import { MembersProvider, useMembers } from "./lib/members";
import { PhotoSessionProvider } from "./lib/photoSession";
import { ROUTES, useRoute, type Route } from "./lib/route";
import { BatchScreen } from "./screens/BatchScreen";
import { FamilyScreen } from "./screens/FamilyScreen";
import { PhotoScreen } from "./screens/PhotoScreen";

const NAV: [Route, string][] = [
  ["photo", "Who’s in this photo"],
  ["family", "Family"],
  ["batch", "Many photos"],
];

function Screens() {
  const [route, go] = useRoute();
  const { members } = useMembers();

  // First visit without a screen in the URL: a family-less service starts on Family.
  useEffect(() => {
    if (route == null && members != null) go(members.length ? "photo" : "family");
  }, [route, members]); // eslint-disable-line react-hooks/exhaustive-deps

  const current = route ?? (members == null ? null : members.length ? "photo" : "family");
  useEffect(() => {
    const title = NAV.find(([r]) => r === current)?.[1];
    document.title = title ? `${title} · Family photos` : "Family photos";
  }, [current]);

  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <a className="brand" href={ROUTES.photo}>
          <span className="brand__mark" aria-hidden="true" /> Family photos
        </a>
        <nav aria-label="Screens">
          <ul>
            {NAV.map(([r, label]) => (
              <li key={r}>
                <a href={ROUTES[r]} aria-current={current === r ? "page" : undefined}>
                  {label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
      </header>
      <main id="main" tabIndex={-1}>
        {current === "photo" && <PhotoScreen />}
        {current === "family" && <FamilyScreen />}
        {current === "batch" && <BatchScreen />}
        {current == null && <p className="muted">Loading…</p>}
      </main>
      <footer className="footer">
        <ApiKeyForm />
        <a href="docs">API documentation</a>
      </footer>
    </>
  );
}

/** Only needed when the service was started with an API key. */
function ApiKeyForm() {
  const id = useId();
  const { refresh } = useMembers();
  const [value, setValue] = useState(() => apiKey() ?? "");
  const [saved, setSaved] = useState(false);
  const save = (event: FormEvent) => {
    event.preventDefault();
    setApiKey(value.trim() || null);
    setSaved(true);
    void refresh();
  };
  return (
    <details className="apikey">
      <summary>Access key</summary>
      <form onSubmit={save}>
        <label htmlFor={id}>The service’s API key (only if it has one; kept in this browser)</label>
        <input id={id} type="password" value={value} onChange={(e) => setValue(e.target.value)} autoComplete="off" />
        <button type="submit" className="button button--small">
          Save key
        </button>
        {saved && <span role="status">Saved.</span>}
      </form>
    </details>
  );
}

/** Everything a screen keeps for when you come back to it lives here, above the screens. */
export function AppState({ children }: { children: ReactNode }) {
  return (
    <MembersProvider>
      <PhotoSessionProvider>
        <BatchSessionProvider>{children}</BatchSessionProvider>
      </PhotoSessionProvider>
    </MembersProvider>
  );
}

export function App() {
  return (
    <AppState>
      <Screens />
    </AppState>
  );
}
