import { createContext, useCallback, useContext, useEffect, useState, type ReactNode } from "react";
import { api, ApiError, type Member } from "../api/client";

type MembersState = {
  members: Member[] | null; // null until the first load
  error: string | null;
  refresh: () => Promise<void>;
};

const MembersContext = createContext<MembersState>({ members: null, error: null, refresh: async () => {} });

/** The family as /members describes it, shared by every screen and reloaded after changes. */
export function MembersProvider({ children }: { children: ReactNode }) {
  const [members, setMembers] = useState<Member[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const refresh = useCallback(async () => {
    try {
      setMembers(await api.members());
      setError(null);
    } catch (exc) {
      setError(exc instanceof ApiError ? exc.message : String(exc));
    }
  }, []);
  useEffect(() => {
    void refresh();
  }, [refresh]);
  return <MembersContext.Provider value={{ members, error, refresh }}>{children}</MembersContext.Provider>;
}

export function useMembers(): MembersState {
  return useContext(MembersContext);
}
