import react from '@vitejs/plugin-react';
import { defineConfig } from 'vitest/config';

// Built assets are served by Django from /static/dist/; Django reads
// static/dist/.vite/manifest.json to find the hashed file names.
export default defineConfig({
  plugins: [react()],
  base: '/static/dist/',
  build: {
    outDir: '../static/dist',
    emptyOutDir: true,
    manifest: true,
    rolldownOptions: {
      input: 'src/main.tsx',
    },
  },
  test: {
    environment: 'jsdom',
    setupFiles: ['./src/test/setup.ts'],
    include: ['src/**/*.test.{ts,tsx}'],
  },
});
