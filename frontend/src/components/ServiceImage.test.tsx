import { render, screen, waitFor } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";
import { setApiKey } from "../api/client";
import { ServiceImage } from "./ServiceImage";

describe("ServiceImage", () => {
  it("is a plain image when the service has no key", () => {
    const fetch = vi.fn();
    vi.stubGlobal("fetch", fetch);
    render(<ServiceImage src="http://localhost/faces/3/crop" alt="Leo" />);
    expect(screen.getByAltText("Leo")).toHaveAttribute("src", "http://localhost/faces/3/crop");
    expect(fetch).not.toHaveBeenCalled();
  });

  it("fetches the picture with the key when the service has one", async () => {
    setApiKey("s3cret");
    const fetch = vi.fn(async () => new Response(new Blob(["jpeg"], { type: "image/jpeg" })));
    vi.stubGlobal("fetch", fetch);
    render(<ServiceImage src="http://localhost/library/photos/7/preview" alt="A photo" />);
    await waitFor(() => expect(screen.getByAltText("A photo").getAttribute("src")).toMatch(/^blob:/));
    expect(fetch).toHaveBeenCalledWith("http://localhost/library/photos/7/preview", { headers: { "X-API-Key": "s3cret" } });
  });
});
