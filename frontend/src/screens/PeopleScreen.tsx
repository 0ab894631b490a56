import { useEffect } from "react";
import { LibraryPanel } from "../components/LibraryPanel";
import { PeopleGrid } from "../components/PeopleGrid";
import { UnnamedGroups } from "../components/UnnamedGroups";
import { useLibrary } from "../lib/library";
import { listHref } from "../lib/route";

/**
 * People: everyone in the library's photos, the people nobody has named yet ("Who is this?"), and the
 * library itself (folders, scan, training).
 */
export function PeopleScreen() {
  const { refresh, status } = useLibrary();
  useEffect(() => {
    void refresh();
  }, [refresh]);

  return (
    <section aria-labelledby="people-heading">
      <h1 id="people-heading">People</h1>
      <PeopleGrid />
      {status != null && status.photos > 0 && (
        <p>
          <a href={listHref(null)}>All {status.photos} photos</a>, strangers and all.
        </p>
      )}
      <UnnamedGroups />
      <LibraryPanel />
    </section>
  );
}
