import "@testing-library/jest-dom/vitest";
import { Blob as NodeBlob, File as NodeFile } from "node:buffer";
import { cleanup } from "@testing-library/react";
import { afterEach, vi } from "vitest";
import { forgetLimits } from "../lib/limits";

// jsdom brings its own File, Blob and FormData, which Node's fetch (Request, Response) does not
// know: it would send every file as "blob". The tests use Node's, as a browser has one of each.
const NodeFormData = (await new Response(new URLSearchParams("a=b")).formData()).constructor;
Object.assign(globalThis, { Blob: NodeBlob, File: NodeFile, FormData: NodeFormData });

// jsdom has no object URLs; the app only needs a string it can put in <img src>.
let objectUrls = 0;
URL.createObjectURL = () => `blob:test/${++objectUrls}`;
URL.revokeObjectURL = () => {};

afterEach(() => {
  cleanup();
  vi.restoreAllMocks();
  vi.unstubAllGlobals();
  vi.useRealTimers();
  localStorage.clear();
  forgetLimits();
  window.location.hash = "";
});
