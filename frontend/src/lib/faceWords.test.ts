import { describe, expect, it } from "vitest";
import { faceVerdict, faceWords, MAYBE_FROM } from "./faceWords";

describe("faceWords", () => {
  it("names the decided member, whatever the probabilities say", () => {
    expect(faceWords({ member: "leo", probabilities: { leo: 0.93, amy: 0.02 } })).toBe("leo");
    // An older family's own threshold may decide a member under 50%: `member` is the authority.
    expect(faceWords({ member: "leo", probabilities: { leo: 0.41, amy: 0.45 } })).toBe("leo");
    expect(faceVerdict({ member: "leo", probabilities: {} })).toEqual({ kind: "member", name: "leo", words: "leo" });
  });

  it("says maybe the most likely member when nobody is decided but someone reaches MAYBE_FROM", () => {
    expect(MAYBE_FROM).toBe(0.2);
    expect(faceWords({ member: null, probabilities: { amy: 0.1, leo: 0.35, raj: 0.3 } })).toBe("maybe leo");
    expect(faceWords({ member: null, probabilities: { amy: 0.01, leo: MAYBE_FROM } })).toBe("maybe leo");
    // Over 50% yet not decided (an older family's threshold, or the one-to-one assignment): still only maybe.
    expect(faceVerdict({ member: null, probabilities: { leo: 0.7 } })).toEqual({
      kind: "maybe",
      name: "leo",
      words: "maybe leo",
    });
  });

  it("says not in the family when nobody is decided and nobody reaches MAYBE_FROM", () => {
    expect(faceWords({ member: null, probabilities: { amy: 0.05, leo: 0.19 } })).toBe("not in the family");
    expect(faceVerdict({ member: null, probabilities: {} })).toEqual({
      kind: "none",
      name: null,
      words: "not in the family",
    });
  });
});
