import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '/work/main/dist/src/model/backend.js';
await selectBackend('wasm');
function time(name, f, n = 30) {
  for (let i = 0; i < 3; i++) tf.dispose(f());
  const t = [];
  for (let i = 0; i < n; i++) { const s = performance.now(); const r = f(); tf.dispose(r); t.push(performance.now() - s); }
  t.sort((a, b) => a - b);
  console.log(name.padEnd(50), 'min', t[0].toFixed(2), 'med', t[n >> 1].toFixed(2));
}
for (const [M, K, N] of [[40, 4864, 64], [64, 2464, 64], [40, 9728, 64]]) {
  const a = tf.randomNormal([M, K]); const b = tf.randomNormal([K, N]);
  time(`[${M},${K}]x[${K},${N}] matMul cached B`, () => tf.matMul(a, b));
  time(`  matMul fresh B`, () => tf.tidy(() => tf.matMul(a, tf.add(b, 0))));
  time(`  matMul fresh B x5`, () => tf.tidy(() => { const f = tf.add(b, 0); let r; for (let i=0;i<5;i++) r = tf.matMul(a, f); return r; }));
  const a4 = a.reshape([1, 1, M, K]); const b4 = b.reshape([1, 1, K, N]);
  time(`  conv1x1 cached`, () => tf.conv2d(a4, b4, 1, 'valid'));
  time(`  conv1x1 fresh`, () => tf.tidy(() => tf.conv2d(a4, tf.add(b4, 0), 1, 'valid')));
  time(`  conv1x1 fresh x5`, () => tf.tidy(() => { const f = tf.add(b4, 0); let r; for (let i=0;i<5;i++) r = tf.conv2d(a4, f, 1, 'valid'); return r; }));
}
