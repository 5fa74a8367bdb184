import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// The console is built by `npm run build` into dist/console and served by Ferry at /console/.
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/console/',
  logLevel: 'warn',
  esbuild: { jsx: 'automatic' },
  build: {
    outDir: fileURLToPath(new URL('../../../dist/console', import.meta.url)),
    emptyOutDir: true,
    // Inline assets would need `data:` or inline styles; the CSP allows only files of Ferry's origin.
    assetsInlineLimit: 0,
    sourcemap: true,
    target: 'es2022',
    chunkSizeWarningLimit: 1000,
  },
});
