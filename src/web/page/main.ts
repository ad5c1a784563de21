import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { AudioError } from '../../audio/errors.js';
import type { ModelCard } from '../../model/io.js';
import '../../model/layers.js';
import { infer } from '../../infer/infer.js';
import { analyseClip, type ClipAnalysis } from '../analyse.js';
import { timelineSegments } from '../segments.js';
import { decodeAudioBytes } from './decode.js';

/** What the page last did, for the browser tests to read (the same numbers the page shows). */
interface PageState {
  backend?: string;
  analysis?: ClipAnalysis;
  /** Milliseconds from the audio's bytes to the analysis: decoding, resampling, features and the model. */
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

/** One run on silence-length input, so that the first clip does not pay for compiling the backend's kernels. */
function warmUp(model: tf.LayersModel, card: ModelCard): void {
  const frames = 300;
  const dims = card.modelSpec.inputDims;
  infer(model, [{ frames, dims, data: new Float32Array(frames * dims) }]);
}

const percent = (p: number) => `${(100 * p).toFixed(1)}%`;
const seconds = (s: number) => `${s.toFixed(1)} s`;

function classColour(card: ModelCard, label: string | null): string {
  return label === null ? 'none' : `c${card.labels.indexOf(label) % 7}`;
}

/** The model card, and a link to the model folder's README.md when it has one (its terms and limits in full). */
function showCard(card: ModelCard, hasReadme: boolean): void {
  const languages = [card.source.language, card.adaptation?.targetLanguage].filter((language): language is string => Boolean(language));
  const rows: [string, string][] = [
    ['Languages', [...new Set(languages)].join(', ')],
    ['Classes', card.labels.join(', ')],
    ['Trained on', `${card.source.corpus} (${card.source.trainSpeakers.length} speakers)`],
  ];
  if (card.adaptation) rows.push(['Adapted to', `${card.adaptation.targetCorpus} with ${card.adaptation.method}`]);
  rows.push([
    'Limits',
    `Knows only these ${card.labels.length} classes, learnt from acted speech; ` +
      (card.validation ? `${percent(card.validation.uar)} unweighted average recall on held-out speakers of ${card.source.corpus}. ` : '') +
      'Expect less on other languages, microphones and spontaneous speech.',
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

function showAnalysis(card: ModelCard, analysis: ClipAnalysis, name: string): void {
  const confidence = analysis.probabilities[analysis.emotion];
  ui.top.textContent = `${name}: ${analysis.emotion} (${percent(confidence)}), ${seconds(analysis.duration)} of audio`;
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
      fill.style.width = percent(analysis.probabilities[label]);
      bar.append(fill);
      const value = document.createElement('td');
      value.textContent = percent(analysis.probabilities[label]);
      row.append(name, bar, value);
      return row;
    }),
  );
  ui.timeline.replaceChildren(
    ...analysis.segments.map((segment) => {
      const block = document.createElement('span');
      block.className = `segment ${classColour(card, segment.emotion)}`;
      block.style.left = `${(100 * segment.start) / analysis.duration}%`;
      block.style.width = `${(100 * (segment.end - segment.start)) / analysis.duration}%`;
      block.textContent = segment.emotion ?? '–';
      return block;
    }),
  );
  ui.segments.replaceChildren(
    ...analysis.segments.map((segment) => {
      const item = document.createElement('li');
      const when = `${seconds(segment.start)} – ${seconds(segment.end)}`;
      item.textContent = segment.emotion
        ? `${when}: ${segment.emotion} (${percent(segment.probabilities![segment.emotion])})`
        : `${when}: too little sound to judge`;
      return item;
    }),
  );
  ui.result.hidden = false;
}

async function analyseBytes(model: tf.LayersModel, card: ModelCard, bytes: ArrayBuffer, name: string): Promise<void> {
  say(`Analysing ${name}…`);
  state.error = undefined;
  try {
    const started = performance.now();
    const samples = await decodeAudioBytes(bytes, name, card.featureConfig.sampleRate);
    const analysis = analyseClip(model, card, samples, timelineSegments(samples, card.featureConfig.sampleRate));
    state.analysisMs = performance.now() - started;
    state.analysis = analysis;
    showAnalysis(card, analysis, name);
    say(`Analysed ${seconds(analysis.duration)} of audio in ${(state.analysisMs / 1000).toFixed(2)} s, on this device (${state.backend}).`);
  } catch (error) {
    const reason = error instanceof AudioError ? error.reason : error instanceof Error ? error.message : String(error);
    say(`Could not analyse ${name}: ${reason}`, true);
  }
}

function acceptFiles(model: tf.LayersModel, card: ModelCard): void {
  const take = async (files: FileList | null) => {
    const file = files?.[0];
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
    const card = (await response.json()) as ModelCard;
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
