import type { Member } from "../api/client";
import { percent } from "../lib/format";

/** Each member's figures on the faces the last training held out (never trained on). */
export function ValidationTable({ members }: { members: Member[] }) {
  const trained = members.filter((m) => m.threshold != null);
  if (!trained.length) return null;
  return (
    <div className="table-wrap">
      <table className="table">
        <caption>How well the last training recognises each member (on faces it held back to check itself)</caption>
        <thead>
          <tr>
            <th scope="col">Member</th>
            <th scope="col">Recognised</th>
            <th scope="col">Right when it says so</th>
            <th scope="col">Faces checked</th>
          </tr>
        </thead>
        <tbody>
          {trained.map((m) => {
            const v = m.validation ?? {};
            return (
              <tr key={m.name}>
                <th scope="row">{m.name}</th>
                <td>{percent(v.recall as number | null)}</td>
                <td>{percent(v.precision as number | null)}</td>
                <td>{v.faces ?? "–"}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
