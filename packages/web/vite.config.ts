import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

/**
 * The production build (`vite build` → dist/) is served by `wsspaces serve`. For `vite` (dev),
 * API and socket calls go to a site running on the default port.
 */
const site = "http://127.0.0.1:5001";

export default defineConfig({
  plugins: [react()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    sourcemap: true,
  },
  server: {
    proxy: {
      "/api": site,
      "/websockets": site,
      "/socket.io": { target: site, ws: true },
    },
  },
});
