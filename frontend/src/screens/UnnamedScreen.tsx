import { useEffect, useId, useState, type FormEvent } from "react";
import { api, ApiError, pictures, type UnnamedFace, type UnnamedGroup } from "../api/client";
import { GroupSamples, groupSize, looksLike } from "../components/GroupSamples";
import { knownName, MemberNameInput, useMemberNames } from "../components/MemberNameInput";
import { ServiceImage } from "../components/ServiceImage";
import { plural } from "../lib/format";
import { useLibrary } from "../lib/library";
import { useMembers } from "../lib/members";
import { personHref, photoHref, ROUTES, unnamedHref } from "../lib/route";

const message = (exc: unknown) => (exc instanceof ApiError ? exc.message : String(exc));
const isGone = (exc: unknown) => exc instanceof ApiError && exc.status === 404;

/**
 * One group of faces nobody has named ("Who is this?"): every face, each ticked as this person until a
 * person unticks it; then Name (the ticked faces: a new name adds the person, and the family trains),
 * Ignore ("not someone we know") or Merge with another group.
 */
export function UnnamedScreen({ groupId }: { groupId: number }) {
  const { changed, setChanges, training } = useLibrary();
  const { refresh: refreshMembers } = useMembers();
  const [group, setGroup] = useState<UnnamedGroup | null>(null);
  const [faces, setFaces] = useState<UnnamedFace[] | null>(null);
  const [gone, setGone] = useState(false);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [excluded, setExcluded] = useState<ReadonlySet<number>>(new Set());
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    Promise.all([api.unnamedGroup(groupId), api.unnamedFaces(groupId)])
      .then(([g, f]) => live && (setGroup(g), setFaces(f)))
      .catch((exc) => live && (isGone(exc) ? setGone(true) : setLoadError(message(exc))));
    return () => {
      live = false;
    };
  }, [groupId]);

  /** One action at a time; a group gone meanwhile (named or merged elsewhere) says so. */
  const act = async (what: string, action: () => Promise<void>) => {
    if (busy) return;
    setBusy(what);
    setError(null);
    try {
      await action();
    } catch (exc) {
      if (isGone(exc)) setGone(true);
      else setError(message(exc));
    } finally {
      setBusy(null);
    }
  };

  const name = (member: string) =>
    act(`Naming ${member}…`, async () => {
      const named = await api.nameGroup(groupId, member, [...excluded]);
      setChanges(named.changes_since_training);
      if (named.training_job_id) training.follow(named.training_job_id);
      await Promise.all([changed(), named.created_member ? refreshMembers() : Promise.resolve()]);
      window.location.hash = personHref(named.member);
    });

  const ignore = () =>
    act("Putting them aside…", async () => {
      await api.ignoreGroup(groupId);
      window.location.hash = ROUTES.people;
    });

  const merge = (into: number) =>
    act("Merging…", async () => {
      const merged = await api.mergeGroup(groupId, into);
      window.location.hash = unnamedHref(merged.id);
    });

  if (gone)
    return (
      <section aria-labelledby="unnamed-heading">
        <h1 id="unnamed-heading">Who is this?</h1>
        <p className="notice" role="alert">
          This group is not here any more: it has been named, merged into another group or changed by a scan since.
        </p>
        <p>
          <a href={ROUTES.people}>← Back to People</a>
        </p>
      </section>
    );

  const ticked = faces ? faces.length - excluded.size : 0;
  const like = group && looksLike(group);
  return (
    <section aria-labelledby="unnamed-heading" className="unnamed">
      <p className="crumbs">
        <a href={ROUTES.people}>← People</a>
      </p>
      <h1 id="unnamed-heading">Who is this?</h1>
      {loadError && (
        <p className="error" role="alert">
          {loadError}
        </p>
      )}
      {group == null || faces == null ? (
        !loadError && <p className="muted">Loading…</p>
      ) : (
        <>
          <p data-testid="group-size">
            {groupSize(group)}
            {like ? ` · ${like}` : ""}. Untick any face that is somebody else.
          </p>
          <ul className="group-faces" aria-label="Faces in this group">
            {faces.map((face, i) => {
              const out = excluded.has(face.face_id);
              return (
                <li key={face.face_id} className={`group-face${out ? " group-face--out" : ""}`}>
                  <label className="group-face__pick">
                    <input
                      type="checkbox"
                      checked={!out}
                      onChange={() =>
                        setExcluded((now) => {
                          const next = new Set(now);
                          if (out) next.delete(face.face_id);
                          else next.add(face.face_id);
                          return next;
                        })
                      }
                    />
                    <ServiceImage className="group-face__crop" src={pictures.faceCrop(face.face_id)} alt="" loading="lazy" />
                    <span className="visually-hidden">
                      Face {i + 1} of {faces.length} — is this person
                    </span>
                  </label>
                  <a className="group-face__photo" href={photoHref(face.photo_id)}>
                    {out ? "Not them · photo" : "Photo"}
                    <span className="visually-hidden"> of face {i + 1}</span>
                  </a>
                </li>
              );
            })}
          </ul>
          <NameGroup ticked={ticked} suggestion={group.looks_like?.member ?? null} onName={(m) => void name(m)} />
          <div className="panel unnamed__other">
            <h2>Not someone to name?</h2>
            <div>
              <button type="button" className="button" onClick={() => void ignore()}>
                Not someone we know
              </button>
            </div>
            <p className="muted">Strangers (at the zoo, in the crowd): not asked about again, and never named.</p>
            <MergeWith groupId={groupId} onMerge={(into) => void merge(into)} />
          </div>
          {busy && (
            <p className="muted" role="status">
              {busy}
            </p>
          )}
          {error && (
            <p className="error" role="alert">
              {error}
            </p>
          )}
        </>
      )}
    </section>
  );
}

type NameProps = { ticked: number; suggestion: string | null; onName: (member: string) => void };

/** "Who is this?": a member's name or a new one (the family's names suggested), or the member it looks like. */
function NameGroup({ ticked, suggestion, onName }: NameProps) {
  const id = useId();
  const names = useMemberNames();
  const [who, setWho] = useState("");
  const [hint, setHint] = useState<string | null>(null);
  const typed = who.trim();
  const known = knownName(names, typed);
  const faces = plural(ticked, "face");

  const send = (member: string) => {
    if (ticked === 0) setHint("Every face is unticked: tick the faces of this person first.");
    else onName(member);
  };
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!typed) setHint("Type who this is first.");
    else send(known ?? typed);
  };

  return (
    <div className="panel unnamed__name">
      <h2>Name them</h2>
      <form className="namer__form" onSubmit={submit} aria-label="Name this person">
        <label htmlFor={`${id}-who`}>This is</label>
        <MemberNameInput
          id={`${id}-who`}
          value={who}
          onChange={(e) => (setWho(e.target.value), setHint(null))}
          placeholder="a name…"
        />
        <button type="submit" className="button button--primary">
          Name {faces}
        </button>
      </form>
      {suggestion && (
        <p>
          Looks like {suggestion}:{" "}
          <button type="button" className="button button--small" onClick={() => send(suggestion)}>
            It’s {suggestion}
          </button>
        </p>
      )}
      {typed && !known && (
        <p className="muted">Nobody is called “{typed}” yet: naming them adds {typed} to the family.</p>
      )}
      {hint && (
        <p className="error" role="alert">
          {hint}
        </p>
      )}
      <p className="muted">Naming teaches the family: it trains again and finds them in the rest of your photos.</p>
    </div>
  );
}

/** "Merge with…": the other groups, by a face and their size; picking one moves this group's faces into it. */
function MergeWith({ groupId, onMerge }: { groupId: number; onMerge: (into: number) => void }) {
  const [open, setOpen] = useState(false);
  const [others, setOthers] = useState<UnnamedGroup[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    if (!open || others != null) return;
    api
      .unnamedGroups()
      .then((all) => setOthers(all.filter((g) => g.id !== groupId)))
      .catch((exc) => setError(message(exc)));
  }, [open, others, groupId]);

  return (
    <details className="merge" onToggle={(e) => setOpen(e.currentTarget.open)}>
      <summary>Merge with…</summary>
      <p className="muted">The same person found as two groups: pick the other one, and this group’s faces join it.</p>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {others == null ? (
        !error && open && <p className="muted">Loading the other groups…</p>
      ) : others.length === 0 ? (
        <p className="muted">There is no other group.</p>
      ) : (
        <ul className="merge__list" aria-label="Other groups">
          {others.map((g) => {
            const like = looksLike(g);
            return (
              <li key={g.id}>
                <button type="button" className="button merge__pick" onClick={() => onMerge(g.id)}>
                  <GroupSamples faceIds={g.sample_face_ids} max={1} />
                  <span>
                    <span className="visually-hidden">Merge with </span>
                    {groupSize(g)}
                    {like ? ` · ${like}` : ""}
                  </span>
                </button>
              </li>
            );
          })}
        </ul>
      )}
    </details>
  );
}
