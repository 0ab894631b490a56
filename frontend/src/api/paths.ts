/**
 * The first segment of every API path in the service's schema (`predict`, `members`, ...), plus the
 * service's own documentation pages: what the dev server and nginx must forward to the service.
 */
export function apiPrefixes(schema: { paths: Record<string, unknown> }): string[] {
  const fromSchema = Object.keys(schema.paths).map((path) => path.split("/")[1]);
  return [...new Set([...fromSchema, "docs", "redoc", "openapi.json"])].sort();
}
