import { fireEvent, render, screen } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";
import { photo } from "../test/mockApi";
import { DropZone } from "./DropZone";

describe("DropZone", () => {
  it("takes dropped photos and says which files it left out", () => {
    const onFiles = vi.fn();
    render(<DropZone onFiles={onFiles} label="Choose photos" />);
    const zone = screen.getByTestId("dropzone");
    fireEvent.dragOver(zone, { dataTransfer: { files: [] } });
    expect(zone).toHaveClass("dropzone--over");
    const notes = new File(["hello"], "notes.txt", { type: "text/plain" });
    fireEvent.drop(zone, { dataTransfer: { files: [photo("a.jpg"), notes, photo("b.heic", "")] } });

    expect(onFiles).toHaveBeenCalledOnce();
    expect(onFiles.mock.calls[0][0].map((f: File) => f.name)).toEqual(["a.jpg", "b.heic"]);
    expect(screen.getByRole("status")).toHaveTextContent("“notes.txt” is not a photo and was left out.");
    expect(zone).not.toHaveClass("dropzone--over");
  });

  it("takes one photo when only one is wanted", () => {
    const onFiles = vi.fn();
    render(<DropZone onFiles={onFiles} multiple={false} label="Choose a photo" />);
    fireEvent.drop(screen.getByTestId("dropzone"), { dataTransfer: { files: [photo("a.jpg"), photo("b.jpg")] } });
    expect(onFiles.mock.calls[0][0]).toHaveLength(1);
    expect(screen.getByLabelText("Choose a photo")).not.toHaveAttribute("multiple");
  });
});
