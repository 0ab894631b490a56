/// <reference types="vitest/config" />
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// The API's paths; `npm run dev` forwards them to the service on 127.0.0.1:8000.
const API_PATHS = [
  "/health",
  "/version",
  "/predict",
  "/members",
  "/train",
  "/jobs",
  "/feedback",
  "/docs",
  "/openapi.json",
];
const target = process.env.FAMILYPHOTO_API ?? "http://127.0.0.1:8000";

export default defineConfig({
  plugins: [react()],
  base: "./",
  server: { proxy: Object.fromEntries(API_PATHS.map((p) => [p, { target, changeOrigin: false }])) },
  build: { outDir: "dist", emptyOutDir: true, chunkSizeWarningLimit: 400 },
  test: {
    environment: "jsdom",
    globals: true,
    setupFiles: ["./src/test/setup.ts"],
    include: ["src/**/*.test.{ts,tsx}"],
  },
});
