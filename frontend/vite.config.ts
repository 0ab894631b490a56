/// <reference types="vitest/config" />
import { readFileSync } from "node:fs";
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";
import { apiPrefixes } from "./src/api/paths.ts";

// `npm run dev` forwards every API path of the service's schema to the service on 127.0.0.1:8000.
const schema = JSON.parse(readFileSync(new URL("./openapi.json", import.meta.url), "utf8"));
const target = process.env.FAMILYPHOTO_API ?? "http://127.0.0.1:8000";

export default defineConfig({
  plugins: [react()],
  base: "./",
  server: { proxy: Object.fromEntries(apiPrefixes(schema).map((p) => [`/${p}`, { target }])) },
  build: { outDir: "dist", emptyOutDir: true, chunkSizeWarningLimit: 400 },
  test: {
    environment: "jsdom",
    globals: true,
    setupFiles: ["./src/test/setup.ts"],
    include: ["src/**/*.test.{ts,tsx}"],
  },
});
