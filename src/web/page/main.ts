import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { AudioError } from '../../audio/errors.js';
import { modelCardSchema, type ModelCard } from '../../model/card.js';
import '../../model/layers.js';
import { extractFeatures, type FeatureMatrix } from '../../features/index.js';
import { predictAudio, type ClipPrediction } from '../../predict/clip.js';
import { decodeAudioBytes } from './decode.js';

/** What the page last did, for the browser tests to read (the same numbers the page shows). */
interface PageState {
  backend?: string;
  /** What `ser predict` gives the clip: the same function on the same samples. */
  prediction?: ClipPrediction;
  /** The decoded clip, mono at the model's rate. */
  samples?: Float32Array;
  /** The clip's feature matrix, as the page computes it (for the tests to compare with Node's). */
  features?: () => FeatureMatrix;
  /** Milliseconds from the audio's bytes to the prediction: decoding, resampling, speech detection, features and the model. */
  analysisMs?: number;
  error?: string;
}
const state: PageState = {};
(globalThis as { serPage?: PageState }).serPage = state;

function element<T extends HTMLElement>(id: string): T {
  return document.getElementById(id) as T;
}

const ui = {
  status: element<HTMLParagraphElement>('status'),
  drop: element<HTMLDivElement>('drop'),
  file: element<HTMLInputElement>('file'),
  record: element<HTMLButtonElement>('record'),
  result: element<HTMLElement>('result'),
  top: element<HTMLParagraphElement>('top'),
  probabilities: element<HTMLTableSectionElement>('probabilities'),
  timeline: element<HTMLDivElement>('timeline'),
  segments: element<HTMLOListElement>('segments'),
  card: element<HTMLDListElement>('card'),
};

function say(message: string, isError = false): void {
  ui.status.textContent = message;
  ui.status.classList.toggle('error', isError);
  if (isError) state.error = message;
}

/**
 * Whether the browser draws WebGL on a GPU. A software renderer (SwiftShader, llvmpipe: headless browsers,
 * machines without a GPU driver) runs tfjs's shaders far slower than wasm: 8.7 s against 0.13 s for a
 * 0.8 s clip in headless Chromium here.
 */
function hasGpuWebGl(): boolean {
  const gl = document.createElement('canvas').getContext('webgl2');
  if (!gl) return false;
  const info = gl.getExtension('WEBGL_debug_renderer_info');
  const renderer = String(gl.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : gl.RENDERER));
  return !/swiftshader|llvmpipe|softpipe|software/i.test(renderer);
}

/** WebGL on a GPU, else wasm (its binaries come from this server, never a CDN); `?backend=webgl|wasm` picks one. */
async function startBackend(): Promise<string> {
  setWasmPaths('/tfjs-wasm/');
  const asked = new URLSearchParams(location.search).get('backend');
  const candidates = asked ? [asked] : hasGpuWebGl() ? ['webgl', 'wasm'] : ['wasm'];
  for (const name of candidates) {
    try {
      if (await tf.setBackend(name)) return tf.getBackend();
    } catch {
      // not available here: try the next
    }
  }
  throw new Error(`no tfjs backend could start (tried ${candidates.join(', ')})`);
}

/**
 * One prediction of a synthetic clip (a second of a 220 Hz tone, then near-silence) before the first real
 * one, so that it does not pay for the first runs of the speech detector, the features and the model:
 * the first 10 s clip took 495 ms, the next ones 53-106 ms in headless Chromium here.
 */
function warmUp(model: tf.LayersModel, card: ModelCard): void {
  const rate = card.featureConfig.sampleRate;
  const samples = Float32Array.from({ length: 2 * rate }, (_, i) => (i < rate ? 0.1 : 0.0001) * Math.sin((2 * Math.PI * 220 * i) / rate));
  predictAudio({ model, card }, 'warm-up', { samples, sampleRate: rate }, { plan: { kind: 'speech' } });
}

const percent = (p: number) => `${(100 * p).toFixed(1)}%`;
const seconds = (s: number) => `${s.toFixed(1)} s`;

function classColour(card: ModelCard, label: string | null): string {
  const index = label === null ? -1 : card.labels.indexOf(label);
  return index < 0 ? 'none' : `c${index % 7}`;
}

/** The model card, and a link to the model folder's README.md when it has one (its terms and limits in full). */
function showCard(card: ModelCard, hasReadme: boolean): void {
  const sources: { corpus: string; language: string }[] = card.sources ?? [card.source];
  const languages = [...sources.map((source) => source.language), card.adaptation?.targetLanguage].filter((language): language is string => Boolean(language));
  const corpora = sources.map((source) => source.corpus).join(', ');
  const rows: [string, string][] = [
    ['Languages', [...new Set(languages)].join(', ')],
    ['Classes', card.labels.join(', ')],
    ['Trained on', card.sources ? card.sources.map((source) => `${source.corpus} (${source.language}, ${source.clips} clips)`).join(', ') : `${card.source.corpus} (${card.source.trainSpeakers.length} speakers)`],
  ];
  if (card.adaptation) rows.push(['Adapted to', `${card.adaptation.targetCorpus} (${card.adaptation.targetLanguage}) with ${card.adaptation.method}`]);
  rows.push([
    'Limits',
    `Knows only these ${card.labels.length} classes: any other emotion is forced into one of them. Learnt mostly from acted speech` +
      (card.validation ? `; ${percent(card.validation.uar)} unweighted average recall on held-out speakers of ${corpora}` : '') +
      '. Expect less on other languages, microphones and spontaneous speech; not for decisions about people.',
  ]);
  ui.card.replaceChildren(
    ...rows.flatMap(([term, value]) => {
      const dt = document.createElement('dt');
      dt.textContent = term;
      const dd = document.createElement('dd');
      dd.textContent = value;
      return [dt, dd];
    }),
  );
  if (hasReadme) {
    const link = document.createElement('a');
    link.href = 'model/README.md';
    link.textContent = 'The model\'s README: training data, terms of use, expected accuracy';
    const dd = document.createElement('dd');
    dd.append(link);
    const dt = document.createElement('dt');
    dt.textContent = 'More';
    ui.card.append(dt, dd);
  }
}

function showPrediction(card: ModelCard, prediction: ClipPrediction, name: string): void {
  ui.result.hidden = false;
  const duration = `${seconds(prediction.duration)} of audio, ${seconds(prediction.speechSeconds)} of speech`;
  if (prediction.emotion === null) {
    ui.top.textContent = `${name}: no emotion (too little speech), ${duration}`;
    ui.probabilities.replaceChildren();
  } else {
    ui.top.textContent = `${name}: ${prediction.emotion} (${percent(prediction.confidence)}), ${duration}`;
    const probabilities = prediction.probabilities;
    ui.probabilities.replaceChildren(
      ...card.labels.map((label) => {
        const row = document.createElement('tr');
        const name = document.createElement('th');
        name.scope = 'row';
        name.textContent = label;
        const bar = document.createElement('td');
        bar.className = 'bar';
        bar.setAttribute('aria-hidden', 'true');
        const fill = document.createElement('span');
        fill.className = classColour(card, label);
        fill.style.width = percent(probabilities[label]);
        bar.append(fill);
        const value = document.createElement('td');
        value.textContent = percent(probabilities[label]);
        row.append(name, bar, value);
        return row;
      }),
    );
  }
  ui.timeline.replaceChildren(
    ...prediction.segments.map((segment) => {
      const block = document.createElement('span');
      block.className = `segment ${classColour(card, segment.emotion)}`;
      block.style.left = `${(100 * segment.start) / prediction.duration}%`;
      block.style.width = `${(100 * (segment.end - segment.start)) / prediction.duration}%`;
      block.textContent = segment.emotion ?? '–';
      return block;
    }),
  );
  ui.segments.replaceChildren(
    ...(prediction.segments.length === 0 ? [null] : prediction.segments).map((segment) => {
      const item = document.createElement('li');
      if (!segment) item.textContent = 'No speech found.';
      else {
        const when = `${seconds(segment.start)} – ${seconds(segment.end)}`;
        item.textContent = segment.emotion === null ? `${when}: too little speech to judge` : `${when}: ${segment.emotion} (${percent(segment.confidence)})`;
      }
      return item;
    }),
  );
}

async function analyseBytes(model: tf.LayersModel, card: ModelCard, bytes: ArrayBuffer, name: string): Promise<void> {
  say(`Analysing ${name}…`);
  state.error = undefined;
  try {
    const started = performance.now();
    const sampleRate = card.featureConfig.sampleRate;
    const samples = await decodeAudioBytes(bytes, name, sampleRate);
    const prediction = predictAudio({ model, card }, name, { samples, sampleRate }, { plan: { kind: 'speech' } });
    state.analysisMs = performance.now() - started;
    Object.assign(state, { prediction, samples, features: () => extractFeatures(samples, sampleRate, card.featureConfig) });
    showPrediction(card, prediction, name);
    say(`Analysed ${seconds(prediction.duration)} of audio in ${(state.analysisMs / 1000).toFixed(2)} s, on this device (${state.backend}).`);
  } catch (error) {
    const reason = error instanceof AudioError ? error.reason : error instanceof Error ? error.message : String(error);
    say(`Could not analyse ${name}: ${reason}`, true);
  }
}

function acceptFiles(model: tf.LayersModel, card: ModelCard): void {
  const take = async (files: FileList | null) => {
    const file = files?.[0];
    // Cleared so that choosing the same file again analyses it again.
    ui.file.value = '';
    if (file) await analyseBytes(model, card, await file.arrayBuffer(), file.name);
  };
  ui.file.addEventListener('change', () => void take(ui.file.files));
  ui.drop.addEventListener('dragover', (event) => {
    event.preventDefault();
    ui.drop.classList.add('over');
  });
  ui.drop.addEventListener('dragleave', () => ui.drop.classList.remove('over'));
  ui.drop.addEventListener('drop', (event) => {
    event.preventDefault();
    ui.drop.classList.remove('over');
    void take(event.dataTransfer?.files ?? null);
  });
}

/** The record button starts and stops a MediaRecorder; what it recorded is analysed like a dropped file. */
function acceptRecordings(model: tf.LayersModel, card: ModelCard): void {
  let recorder: MediaRecorder | undefined;
  ui.record.addEventListener('click', async () => {
    if (recorder) {
      recorder.stop();
      return;
    }
    try {
      const stream = await navigator.mediaDevices.getUserMedia({ audio: { echoCancellation: false, noiseSuppression: false, autoGainControl: false } });
      const chunks: Blob[] = [];
      recorder = new MediaRecorder(stream);
      recorder.addEventListener('dataavailable', (event) => chunks.push(event.data));
      recorder.addEventListener('stop', async () => {
        stream.getTracks().forEach((track) => track.stop());
        recorder = undefined;
        ui.record.textContent = 'Record';
        ui.record.setAttribute('aria-pressed', 'false');
        await analyseBytes(model, card, await new Blob(chunks).arrayBuffer(), 'recording');
      });
      recorder.start();
      ui.record.textContent = 'Stop recording';
      ui.record.setAttribute('aria-pressed', 'true');
      say('Recording… press the button again to stop.');
    } catch (error) {
      say(`Could not record: ${error instanceof Error ? error.message : String(error)}`, true);
    }
  });
}

async function start(): Promise<void> {
  try {
    state.backend = await startBackend();
    const response = await fetch('model/card.json');
    if (!response.ok) throw new Error(`model/card.json: HTTP ${response.status}`);
    // Checked as loadModel checks it, so that a damaged card is named rather than misread.
    const parsed = modelCardSchema.safeParse(await response.json());
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new Error(`model/card.json: field ${issue.path.join('.')}: ${issue.message}`);
    }
    const card = parsed.data as ModelCard;
    const model = await tf.loadLayersModel('model/model.json');
    warmUp(model, card);
    showCard(card, (await fetch('model/README.md', { method: 'HEAD' })).ok);
    acceptFiles(model, card);
    acceptRecordings(model, card);
    ui.file.disabled = false;
    ui.record.disabled = false;
    say(`Ready (${state.backend}). Choose or drop an audio file, or record one.`);
    document.body.dataset.ready = 'true';
  } catch (error) {
    say(`The model could not be loaded: ${error instanceof Error ? error.message : String(error)}`, true);
  }
}

void start();
