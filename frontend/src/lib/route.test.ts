import { describe, expect, it } from "vitest";
import { apiQuery, filterQuery, listFromQuery, viewerQuery } from "./photoList";
import { listHref, navRoute, parsePlace, personHref, photoHref, unnamedHref } from "./route";

describe("the hash routes", () => {
  it("name every screen, a person, all photos and one photo with the list it came from", () => {
    expect(parsePlace("")).toBeNull();
    expect(parsePlace("#/")).toEqual({ screen: "photo" });
    expect(parsePlace("#/family")).toEqual({ screen: "family" });
    expect(parsePlace("#/people")).toEqual({ screen: "people" });
    const person = parsePlace("#/people/grand%20ma?with=raj&from=2024-01-01");
    expect(person).toMatchObject({ screen: "person", name: "grand ma" });
    expect(person && "query" in person && person.query.get("with")).toBe("raj");
    const photo = parsePlace("#/photos/12?person=leo&with=raj");
    expect(photo).toMatchObject({ screen: "viewer", photoId: 12 });
    expect(photo && navRoute(photo)).toBe("people");
    expect(parsePlace("#/photos")).toMatchObject({ screen: "photos" });
    expect(parsePlace("#/photos/abc")).toMatchObject({ screen: "photos" });
    expect(parsePlace("#/nonsense")).toEqual({ screen: "photo" });
  });

  it("tell a group nobody has named from a person's page", () => {
    const group = parsePlace(unnamedHref(12));
    expect(unnamedHref(12)).toBe("#/people/unnamed/12");
    expect(group).toEqual({ screen: "unnamed", groupId: 12 });
    expect(group && navRoute(group)).toBe("people");
    // A person called "unnamed", or "unnamed/12", keeps their page.
    expect(parsePlace(personHref("unnamed"))).toMatchObject({ screen: "person", name: "unnamed" });
    expect(parsePlace(personHref("unnamed/12"))).toMatchObject({ screen: "person", name: "unnamed/12" });
    expect(parsePlace("#/people/unnamed/0")).toMatchObject({ screen: "person" });
  });

  it("write a name safely into the hash", () => {
    expect(personHref("a/b?c")).toBe("#/people/a%2Fb%3Fc");
    expect(parsePlace(personHref("a/b?c"))).toMatchObject({ screen: "person", name: "a/b?c" });
    expect(photoHref(3, new URLSearchParams("person=leo"))).toBe("#/photos/3?person=leo");
    expect(listHref(null)).toBe("#/photos");
  });
});

describe("a photo list", () => {
  it("round-trips through the page's, the viewer's and the API's queries", () => {
    const list = listFromQuery(new URLSearchParams("with=raj&with=raj&with=leo&match=any&from=2024-01-01&to=bad"), "leo");
    expect(list).toEqual({ person: "leo", with: ["raj"], match: "any", from: "2024-01-01", to: null });
    expect(filterQuery(list).toString()).toBe("with=raj&match=any&from=2024-01-01");
    expect(viewerQuery(list).toString()).toBe("person=leo&with=raj&match=any&from=2024-01-01");
    expect(listFromQuery(viewerQuery(list))).toEqual(list);
    expect(apiQuery(list, "c1", 50)).toEqual({ limit: 50, member: ["leo", "raj"], match: "any", from: "2024-01-01", cursor: "c1" });
  });

  it("asks for every photo when nobody is chosen, and drops 'any' for one person", () => {
    expect(apiQuery(listFromQuery(new URLSearchParams("")), null, 50)).toEqual({ limit: 50 });
    const one = listFromQuery(new URLSearchParams("match=any"), "leo");
    expect(apiQuery(one, null, 50)).toEqual({ limit: 50, member: ["leo"] });
    expect(filterQuery(one).toString()).toBe("");
  });
});
