import { useEffect, useId, useState, type FormEvent, type ReactNode } from "react";
import { apiKey, setApiKey } from "./api/client";
import { BatchSessionProvider } from "./lib/batchSession";
import { LibraryProvider } from "./lib/library";
import { MembersProvider, useMembers } from "./lib/members";
import { PhotoListsProvider } from "./lib/photoLists";
import { PhotoSessionProvider } from "./lib/photoSession";
import { navRoute, ROUTES, useRoute, type Place, type Route } from "./lib/route";
import { BatchScreen } from "./screens/BatchScreen";
import { FamilyScreen } from "./screens/FamilyScreen";
import { PeopleScreen } from "./screens/PeopleScreen";
import { PersonScreen } from "./screens/PersonScreen";
import { PhotoScreen } from "./screens/PhotoScreen";
import { UnnamedScreen } from "./screens/UnnamedScreen";
import { ViewerScreen } from "./screens/ViewerScreen";

const NAV: [Route, string][] = [
  ["photo", "Who’s in this photo"],
  ["people", "People"],
  ["family", "Family"],
  ["batch", "Many photos"],
];

function title(place: Place | null): string {
  if (place == null) return "Family photos";
  if (place.screen === "person") return `${place.name} · People · Family photos`;
  if (place.screen === "unnamed") return "Who is this? · People · Family photos";
  if (place.screen === "photos") return "All photos · People · Family photos";
  if (place.screen === "viewer") return `Photo ${place.photoId} · People · Family photos`;
  const label = NAV.find(([r]) => r === place.screen)?.[1];
  return `${label} · Family photos`;
}

function Screens() {
  const [place, go] = useRoute();
  const { members } = useMembers();

  // First visit without a screen in the URL: a family-less service starts on Family.
  useEffect(() => {
    if (place == null && members != null) go(members.length ? "photo" : "family");
  }, [place, members]); // eslint-disable-line react-hooks/exhaustive-deps

  const shown: Place | null =
    place ?? (members == null ? null : { screen: members.length ? "photo" : "family" });
  const current = shown && navRoute(shown);
  useEffect(() => {
    document.title = title(shown);
  }, [shown?.screen, shown && "name" in shown ? shown.name : null, shown && "photoId" in shown ? shown.photoId : null, shown && "groupId" in shown ? shown.groupId : null]); // eslint-disable-line react-hooks/exhaustive-deps

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
        {shown?.screen === "photo" && <PhotoScreen />}
        {shown?.screen === "people" && <PeopleScreen />}
        {shown?.screen === "person" && <PersonScreen key={shown.name} name={shown.name} query={shown.query} />}
        {shown?.screen === "unnamed" && <UnnamedScreen key={shown.groupId} groupId={shown.groupId} />}
        {shown?.screen === "photos" && <PersonScreen key="\u0000all" name={null} query={shown.query} />}
        {shown?.screen === "viewer" && <ViewerScreen photoId={shown.photoId} query={shown.query} />}
        {shown?.screen === "family" && <FamilyScreen />}
        {shown?.screen === "batch" && <BatchScreen />}
        {shown == null && <p className="muted">Loading…</p>}
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
      <PhotoListsProvider>
        <LibraryProvider>
          <PhotoSessionProvider>
            <BatchSessionProvider>{children}</BatchSessionProvider>
          </PhotoSessionProvider>
        </LibraryProvider>
      </PhotoListsProvider>
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
