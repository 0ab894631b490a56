/**
 * The typed client of the family photo service. Every path, body and response type comes
 * from `schema.d.ts`, generated from `openapi.json` (the service's own schema) at each build:
 * when the API changes, `npm run build` fails here rather than the page failing later.
 */
import createClient from "openapi-fetch";
import type { components, paths } from "./schema";

export type Prediction = components["schemas"]["PredictionOut"];
export type Face = components["schemas"]["FaceOut"];
export type BatchItem = components["schemas"]["BatchItemOut"];
export type Member = components["schemas"]["MemberOut"];
export type FaceRecord = components["schemas"]["FaceRecordOut"];
export type Enrolment = components["schemas"]["EnrolmentOut"];
export type Job = components["schemas"]["JobOut"];
export type Feedback = components["schemas"]["FeedbackOut"];
export type LibraryStatus = components["schemas"]["LibraryStatusOut"];
export type LibraryPhoto = components["schemas"]["LibraryPhotoOut"];
export type LibraryFace = components["schemas"]["LibraryFaceOut"];
export type PhotoPage = components["schemas"]["PhotoPageOut"];
export type Person = components["schemas"]["PersonOut"];
export type NamedFace = components["schemas"]["NamedFaceOut"];
export type UploadedPhoto = components["schemas"]["UploadedPhotoOut"];
export type Limits = components["schemas"]["LimitsOut"];
export type UnnamedGroup = components["schemas"]["UnnamedGroupOut"];
export type UnnamedFace = components["schemas"]["UnnamedFaceOut"];
export type GroupNamed = components["schemas"]["GroupNamedOut"];
export type PhotoQuery = NonNullable<paths["/library/photos"]["get"]["parameters"]["query"]>;

/** An API error, with a message a person understands (and the status, for code). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly detail: string,
    message: string,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

const API_KEY_STORAGE = "familyphoto.apiKey";

/** The API key, when the service has one (stored in this browser only). */
export function apiKey(): string | null {
  try {
    return localStorage.getItem(API_KEY_STORAGE);
  } catch {
    return null;
  }
}

export function setApiKey(key: string | null): void {
  if (key) localStorage.setItem(API_KEY_STORAGE, key);
  else localStorage.removeItem(API_KEY_STORAGE);
}

/** Same origin: the service serves this app and its API side by side (at "/", or under a proxy's prefix). */
export function apiBase(href = globalThis.location?.href ?? "http://localhost/"): string {
  return new URL(".", href).href.replace(/\/$/, "");
}

// `fetch` is looked up at call time so tests can replace it.
const client = createClient<paths>({ baseUrl: apiBase(), fetch: (req) => globalThis.fetch(req) });
client.use({
  onRequest({ request }) {
    const key = apiKey();
    if (key) request.headers.set("X-API-Key", key);
    return request;
  },
});

/** Words for a failed request, from its status and the service's one-line `detail`. */
export function humanMessage(status: number, detail: string, what = "this photo"): string {
  switch (status) {
    case 0:
      return "Could not reach the photo service. Is it running? Check your connection and try again.";
    case 401:
      return "The service needs an access key. Enter it under “Access key” at the bottom of the page.";
    case 404:
      return `Not found: ${detail || "it may have been removed already"}. Reload the page to see the current state.`;
    case 409:
      return `That clashes with the current state: ${detail}`;
    case 413:
      return `${capitalize(what)} is too large to send. ${detail ? `(${detail}.) ` : ""}Try a smaller copy of it.`;
    case 415:
      return `${capitalize(what)} is not a picture the service can read. Try a JPEG, PNG, WebP or HEIC photo.`;
    case 422:
      return `${capitalize(what)} could not be read: ${detail || "it may be damaged or empty"}.`;
    case 503:
      return "The service is still starting up. Try again in a few seconds.";
    default:
      return status >= 500
        ? "Something went wrong in the photo service. Try again; if it keeps happening, check the service's log."
        : `The request failed (${status}): ${detail}`;
  }
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

type Outcome<T> = { data?: T; error?: unknown; response: Response };

async function unwrap<T>(call: Promise<Outcome<T>>, what?: string): Promise<T> {
  let outcome: Outcome<T>;
  try {
    outcome = await call;
  } catch (exc) {
    if (exc instanceof DOMException && exc.name === "AbortError") throw exc;
    throw new ApiError(0, String(exc), humanMessage(0, ""));
  }
  const { data, error, response } = outcome;
  if (!response.ok) {
    const detail =
      error && typeof error === "object" && "detail" in error
        ? typeof error.detail === "string"
          ? error.detail
          : JSON.stringify(error.detail)
        : response.statusText;
    throw new ApiError(response.status, detail, humanMessage(response.status, detail, what));
  }
  return data as T;
}

/** The multipart fields a POST route takes, as the schema names them. */
type MultipartBody<P extends keyof paths> = paths[P] extends {
  post: { requestBody: { content: { "multipart/form-data": infer B } } };
}
  ? B
  : never;
type Field = Blob | Blob[] | string;

/**
 * A multipart body for route `P`: the field names are checked against the schema (a renamed or
 * new required field fails the build), the real files are sent as FormData.
 */
function multipart<P extends keyof paths>(fields: { [K in keyof MultipartBody<P>]: Field }) {
  const data = new FormData();
  for (const [name, value] of Object.entries(fields as Record<string, Field | undefined>)) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) {
      if (typeof v === "string") data.append(name, v);
      else data.append(name, v, v instanceof File ? v.name : "photo");
    }
  }
  return { body: fields as unknown as MultipartBody<P>, bodySerializer: () => data };
}

/** Pictures the service makes, by URL (shown with ServiceImage: a service with an API key wants it on reads too). */
export const pictures = {
  thumbnail: (photoId: number) => `${apiBase()}/library/photos/${photoId}/thumbnail`,
  preview: (photoId: number) => `${apiBase()}/library/photos/${photoId}/preview`,
  faceCrop: (faceId: number) => `${apiBase()}/faces/${faceId}/crop`,
};

export const api = {
  /** `preview`: the service also sends the photo as it saw it (a JPEG), for photos a browser cannot show (HEIC). */
  predict: (file: File, signal?: AbortSignal, preview = false) =>
    unwrap<Prediction>(
      client.POST("/predict", {
        params: { query: preview ? { crops: true, preview: true } : { crops: true } },
        ...multipart<"/predict">({ file }),
        signal,
      }),
      `“${file.name}”`,
    ),

  predictBatch: (files: File[]) =>
    unwrap<BatchItem[]>(
      client.POST("/predict/batch", {
        params: { query: { crops: false } },
        ...multipart<"/predict/batch">({ files }),
      }),
      files.length === 1 ? `“${files[0].name}”` : "one of these photos",
    ),

  members: () => unwrap<Member[]>(client.GET("/members")),

  addMember: (name: string) => unwrap<Member>(client.POST("/members", { body: { name } }), `the name “${name}”`),

  removeMember: (name: string) => unwrap<unknown>(client.DELETE("/members/{name}", { params: { path: { name } } })),

  faces: (name: string) => unwrap<FaceRecord[]>(client.GET("/members/{name}/faces", { params: { path: { name } } })),

  enrol: (name: string, files: File[]) =>
    unwrap<Enrolment>(
      client.POST("/members/{name}/photos", {
        params: { path: { name } },
        ...multipart<"/members/{name}/photos">({ files }),
      }),
      files.length === 1 ? `“${files[0].name}”` : "one of these photos",
    ),

  removeFace: (name: string, faceId: number) =>
    unwrap<unknown>(client.DELETE("/members/{name}/faces/{face_id}", { params: { path: { name, face_id: faceId } } })),

  train: () => unwrap<components["schemas"]["JobAccepted"]>(client.POST("/train")),

  job: (jobId: string) => unwrap<Job>(client.GET("/jobs/{job_id}", { params: { path: { job_id: jobId } } })),

  version: () => unwrap<components["schemas"]["VersionOut"]>(client.GET("/version")),

  library: () => unwrap<LibraryStatus>(client.GET("/library")),

  /** Index every folder of the library (FAMILYPHOTO_LIBRARY_ROOTS) in the background. */
  scan: () => unwrap<components["schemas"]["JobAccepted"]>(client.POST("/library/scan", { body: { roots: null } })),

  people: () => unwrap<Person[]>(client.GET("/people")),

  photos: (query: PhotoQuery, signal?: AbortSignal) =>
    unwrap<PhotoPage>(client.GET("/library/photos", { params: { query }, signal })),

  photo: (photoId: number) =>
    unwrap<LibraryPhoto>(client.GET("/library/photos/{photo_id}", { params: { path: { photo_id: photoId } } })),

  addToLibrary: (files: File[]) =>
    unwrap<UploadedPhoto[]>(
      client.POST("/library/photos", { ...multipart<"/library/photos">({ files }) }),
      files.length === 1 ? `“${files[0].name}”` : "one of these photos",
    ),

  /** "This face is `member`" (a new name creates the member; null: nobody of the family). */
  nameFace: (faceId: number, member: string | null) =>
    unwrap<NamedFace>(
      client.POST("/faces/{face_id}/name", { params: { path: { face_id: faceId } }, body: { member } }),
      member == null ? "this face" : `the name “${member}”`,
    ),

  /** Undo a person's name for this face: the model decides it again. */
  unnameFace: (faceId: number) =>
    unwrap<NamedFace>(client.DELETE("/faces/{face_id}/name", { params: { path: { face_id: faceId } } })),

  /** Groups of faces nobody has named and the family does not know, largest first (ignored ones left out). */
  unnamedGroups: (limit?: number) =>
    unwrap<UnnamedGroup[]>(client.GET("/people/unnamed", { params: { query: limit ? { limit } : {} } })),

  unnamedGroup: (groupId: number) =>
    unwrap<UnnamedGroup>(client.GET("/people/unnamed/{group_id}", { params: { path: { group_id: groupId } } })),

  /** A group's faces, the most typical first. */
  unnamedFaces: (groupId: number) =>
    unwrap<UnnamedFace[]>(client.GET("/people/unnamed/{group_id}/faces", { params: { path: { group_id: groupId } } })),

  /** The group is `member` (a new name creates the member), but for `excluded` faces; a training starts. */
  nameGroup: (groupId: number, member: string, excluded: number[]) =>
    unwrap<GroupNamed>(
      client.POST("/people/unnamed/{group_id}/name", {
        params: { path: { group_id: groupId } },
        body: { member, exclude_face_ids: excluded },
      }),
      `the name “${member}”`,
    ),

  /** Not somebody the family knows: never asked about again. */
  ignoreGroup: (groupId: number) =>
    unwrap<UnnamedGroup>(client.POST("/people/unnamed/{group_id}/ignore", { params: { path: { group_id: groupId } } })),

  /** This group's faces join group `into` (returned). */
  mergeGroup: (groupId: number, into: number) =>
    unwrap<UnnamedGroup>(
      client.POST("/people/unnamed/{group_id}/merge", { params: { path: { group_id: groupId } }, body: { into } }),
    ),

  /** "This face is `member`" (null: nobody in this family). */
  feedback: (file: File, box: number[], member: string | null) =>
    unwrap<Feedback>(
      client.POST("/feedback", {
        ...multipart<"/feedback">({ file, box: JSON.stringify(box), member: member ?? "" }),
      }),
      `“${file.name}”`,
    ),
};
