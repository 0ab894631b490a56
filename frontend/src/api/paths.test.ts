import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { apiPrefixes } from "./paths";

// vitest runs in frontend/
const schema = JSON.parse(readFileSync(resolve("openapi.json"), "utf8"));
const nginx = readFileSync(resolve("nginx.conf"), "utf8");

describe("the API's paths", () => {
  it("are all forwarded to the service by nginx (docker-compose's web service)", () => {
    const rule = nginx.match(/location ~ \^\/\(([^)]*)\)/);
    expect(rule, "nginx.conf has no location for the API paths").not.toBeNull();
    const forwarded = rule![1].split("|").map((p) => p.replace(/\\\./g, "."));
    expect(apiPrefixes(schema).filter((p) => !forwarded.includes(p))).toEqual([]);
  });

  it("never start with a path the web app uses (it routes with the hash)", () => {
    expect(apiPrefixes(schema)).not.toContain("");
    expect(apiPrefixes(schema)).not.toContain("assets");
    expect(apiPrefixes(schema)).not.toContain("index.html");
  });
});
