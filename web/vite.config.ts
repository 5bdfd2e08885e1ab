/**
 * Builds the console into `dist/web` (served by the hub at `/`). Run from the repository root as
 * `vite build web`: the root is this folder, so the paths below are relative to it.
 */
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

export default defineConfig({
  plugins: [react()],
  base: '/',
  build: {
    outDir: '../dist/web',
    emptyOutDir: true,
    assetsDir: 'assets',
    // No inline modules: the hub serves the console under a CSP without 'unsafe-inline'.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
  },
  server: {
    // `npx vite web` during development: the API of a hub on the default port.
    proxy: { '/v1': 'http://127.0.0.1:8080' },
  },
});
