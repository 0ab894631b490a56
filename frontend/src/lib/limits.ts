import { api, type Limits } from "../api/client";
import { fileSize } from "./format";

let asked: Promise<Limits | null> | null = null;

/**
 * The service's upload limits (`GET /version`), asked once per page; null when it could not say
 * (then the photo is sent and the service refuses it if it must).
 */
export function uploadLimits(): Promise<Limits | null> {
  asked ??= api.version().then(
    (v) => v.limits ?? null,
    () => {
      asked = null; // ask again next time
      return null;
    },
  );
  return asked;
}

/** For tests: forget what the service said. */
export function forgetLimits(): void {
  asked = null;
}

/** Why `file` would be refused (too large), in words; null when it may be sent. */
export function tooLarge(file: File, limits: Limits | null): string | null {
  if (!limits) return null;
  const max = limits.max_upload_mb * 1_000_000; // the service's megabytes are 10^6 bytes
  if (file.size <= max) return null;
  return `“${file.name}” is ${fileSize(file.size)}, over the service’s limit of ${limits.max_upload_mb} MB per photo, so it was not sent. Try a smaller copy of it.`;
}

/** The files that may be sent, and the words for each that may not. */
export async function splitBySize(files: File[]): Promise<{ ok: File[]; refused: Map<File, string> }> {
  const limits = await uploadLimits();
  const refused = new Map<File, string>();
  const ok: File[] = [];
  for (const f of files) {
    const why = tooLarge(f, limits);
    if (why) refused.set(f, why);
    else ok.push(f);
  }
  return { ok, refused };
}
