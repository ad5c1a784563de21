import { selectBackend } from './dist/src/model/backend.js';
import { loadModel } from './dist/src/model/io.js';
import { infer } from './dist/src/train/predict.js';
import { decodeAudio } from './dist/src/audio/index.js';
import { extractFeatures, dropQuietFrames } from './dist/src/features/index.js';
import { applyNormalisation } from './dist/src/train/normalise.js';
await selectBackend('wasm');
const { model, card } = await loadModel('/tmp/predeval-model');
const audio = await decodeAudio(process.argv[2]);
const m = applyNormalisation(dropQuietFrames(extractFeatures(audio.samples, 16000, card.featureConfig), card.featureConfig, card.normalisation.activeFrameThresholdDb), card.normalisation);
console.log('frames', m.frames, 'finite', m.data.every(Number.isFinite));
const which = process.argv[3];
const input = which === 'random' ? { ...m, data: new Float32Array(m.data.length).map(() => Math.random() - 0.5) } : m;
try { console.log(infer(model, [input]).probabilities[0]); } catch (e) { console.log('fail', e.message); }
