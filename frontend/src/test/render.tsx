import { render } from "@testing-library/react";
import type { ReactElement } from "react";
import { AppState } from "../App";

/** Render a screen with the app's state above it, as the app does. */
export function renderWithState(ui: ReactElement) {
  return render(<AppState>{ui}</AppState>);
}
