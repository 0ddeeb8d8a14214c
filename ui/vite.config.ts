import { fileURLToPath } from 'node:url';
import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

/**
 * The vendor libraries that change rarely, each in its own chunk so a panel update keeps them
 * cached. A group also takes its dependencies, so Vue goes first (it is everyone's dependency)
 * and chart.js stays out of the entry: only the dashboard loads it.
 */
const vendorGroups = [
  { name: 'vendor-vue', test: /node_modules[\\/](@vue|vue|vue-router|vue-i18n|@intlify)[\\/]/, priority: 40 },
  { name: 'vendor-naive', test: /node_modules[\\/]naive-ui[\\/]/, priority: 30 },
  { name: 'vendor-chart', test: /node_modules[\\/](chart\.js|vue-chartjs|@kurkle)[\\/]/, priority: 20 },
  { name: 'vendor', test: /node_modules[\\/]/, priority: 10 },
];

// The gateway serves the built panel at /admin (ui/dist): `npx vite build --config ui/vite.config.ts`.
export default defineConfig({
  root,
  base: '/admin/',
  plugins: [vue()],
  define: {
    // vue-i18n: composition API only, no devtools in production.
    __VUE_I18N_FULL_INSTALL__: true,
    __VUE_I18N_LEGACY_API__: false,
    __INTLIFY_PROD_DEVTOOLS__: false,
    __VUE_PROD_DEVTOOLS__: false,
    __VUE_PROD_HYDRATION_MISMATCH_DETAILS__: false,
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 900,
    rolldownOptions: {
      output: {
        codeSplitting: { groups: vendorGroups },
      },
    },
  },
  server: {
    // `npx vite --config ui/vite.config.ts` next to a gateway on :8080.
    proxy: {
      '/admin/api': 'http://127.0.0.1:8080',
      '/v1': 'http://127.0.0.1:8080',
    },
  },
});
