import { vi } from "vitest";

export type Call = { method: string; path: string; query: URLSearchParams; form: FormData | null; json: unknown };
type Reply =
  | { status?: number; body?: unknown }
  | ((call: Call) => Promise<{ status?: number; body?: unknown }> | { status?: number; body?: unknown });

/**
 * Replace fetch with a fake service: `routes` maps "METHOD /path" to a reply (or a function of the
 * call). Unknown routes answer 404 so a wrong path fails the test. Returns the calls it saw.
 */
export function mockApi(routes: Record<string, Reply>) {
  const calls: Call[] = [];
  const fetchMock = vi.fn(async (input: Request | string, init?: RequestInit) => {
    const request = typeof input === "string" ? new Request(new URL(input, "http://localhost"), init) : input;
    const url = new URL(request.url, "http://localhost");
    const type = request.headers.get("content-type") ?? "";
    let form: FormData | null = null;
    let json: unknown = null;
    if (type.startsWith("multipart/form-data")) form = await request.formData();
    else if (type.includes("json")) json = await request.json();
    const call = { method: request.method, path: url.pathname, query: url.searchParams, form, json };
    calls.push(call);
    const reply = routes[`${request.method} ${url.pathname}`];
    const out =
      reply === undefined
        ? { status: 404, body: { detail: "no such route in the test" } }
        : typeof reply === "function"
          ? await reply(call)
          : reply;
    const status = out.status ?? 200;
    return new Response(status === 204 ? null : JSON.stringify(out.body ?? null), {
      status,
      headers: { "content-type": "application/json" },
    });
  });
  vi.stubGlobal("fetch", fetchMock);
  return calls;
}

export function photo(name = "family.jpg", type = "image/jpeg"): File {
  return new File([new Uint8Array([0xff, 0xd8, 0xff, 0xd9])], name, { type });
}

/** A promise the test resolves when it wants, to see the states in between. */
export function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}
