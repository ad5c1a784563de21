import { buildPage } from '../src/web/build.js';

// `npm run build` (and `prepare`) run this after tsc, so an installed package ships the page ready to serve.
const { outDir, scriptBytes } = await buildPage();
console.log(`page built into ${outDir}: app.js ${(scriptBytes / 1024).toFixed(0)} KiB (wasm binaries not included)`);
