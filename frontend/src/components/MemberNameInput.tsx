import { useId, type InputHTMLAttributes, type Ref } from "react";
import { useMembers } from "../lib/members";

/** The family's names as a person can give them (hidden members left out). */
export function useMemberNames(): string[] {
  const { members } = useMembers();
  return (members ?? []).filter((m) => !m.hidden).map((m) => m.name);
}

/** The name that `typed` means among `names` (case aside), if any. */
export function knownName(names: string[], typed: string): string | undefined {
  const t = typed.trim().toLowerCase();
  return t ? names.find((n) => n.toLowerCase() === t) : undefined;
}

type Props = Omit<InputHTMLAttributes<HTMLInputElement>, "list"> & {
  /** Offer the family's names as the person types (off: a new person's name). */
  suggest?: boolean;
  ref?: Ref<HTMLInputElement>;
};

/** A text field for a person's name, with the family's names as suggestions. */
export function MemberNameInput({ suggest = true, ref, ...rest }: Props) {
  const listId = `${useId()}-members`;
  const names = useMemberNames();
  return (
    <>
      <input ref={ref} list={suggest ? listId : undefined} autoComplete="off" maxLength={64} {...rest} />
      {suggest && (
        <datalist id={listId}>
          {names.map((n) => (
            <option key={n} value={n} />
          ))}
        </datalist>
      )}
    </>
  );
}
