import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import wavefile from 'wavefile';
import { decodeAudio } from '../src/audio/index.js';
import { resample } from '../src/audio/resample.js';
import { extractFeatures } from '../src/features/index.js';
import { selectBackend } from '../src/model/backend.js';
import { loadModel, type SavedModel } from '../src/model/io.js';
import { DEFAULT_WINDOW_OPTIONS, isClipFailure, predictFiles, type ClipPrediction } from '../src/predict/predict.js';
import type { ClipAnalysis } from '../src/web/analyse.js';
import { buildPage } from '../src/web/build.js';
import { startWebServer, type WebServer } from '../src/web/server.js';
import { repoRoot } from './helpers/cli.js';
import { trainTinyModel } from './helpers/tinyModel.js';

const CHROMIUM = '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) {
  const message = `${CHROMIUM} is missing: the browser tests need it (apt-get install chromium)`;
  if (process.env.CI === 'true') throw new Error(message);
  console.warn(`${message}; skipping them`);
}

const SAMPLE_RATE = 16000;
const artefacts = join(repoRoot, 'test-artifacts/web');
const work = mkdtempSync(join(tmpdir(), 'ser-web-page-'));
const clips = {
  /** A demo clip as it is: 16 kHz mono. */
  demo: join(repoRoot, 'data/demo/en/en01/en01_angry_01.wav'),
  /** The same speaker's clips end to end, cut to 10 s: the speed bar's clip. */
  tenSeconds: join(work, 'ten-seconds.wav'),
  /** A demo clip at 44.1 kHz in stereo, the channels differing: the page must downmix and resample as Node does. */
  stereo: join(work, 'stereo-44k.wav'),
  notAudio: join(work, 'notes.wav'),
};

interface PageState {
  backend?: string;
  analysis?: ClipAnalysis;
  analysisMs?: number;
  error?: string;
}

let saved: SavedModel;
let server: WebServer;
let browser: Browser;
/** Every request a page made that was not for the local server. */
const outsideRequests: string[] = [];
const consoleErrors: string[] = [];

function int16(samples: Float32Array): Int16Array {
  return Int16Array.from(samples, (x) => Math.max(-32768, Math.min(32767, Math.round(x * 32767))));
}

function writeWav(path: string, rate: number, channels: Int16Array[]): void {
  const wave = new wavefile.WaveFile();
  wave.fromScratch(channels.length, rate, '16', channels.length === 1 ? channels[0] : channels);
  writeFileSync(path, wave.toBuffer());
}

async function newPage(context: BrowserContext, query = ''): Promise<Page> {
  const origin = new URL(server.url).origin;
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (new URL(url).origin === origin) return route.continue();
    outsideRequests.push(url);
    return route.abort();
  });
  const page = await context.newPage();
  page.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(message.text());
  });
  page.on('pageerror', (error) => consoleErrors.push(error.message));
  await page.goto(`${server.url}${query}`);
  await page.waitForSelector('body[data-ready=true]', { timeout: 60_000 });
  return page;
}

/** Waits for the analysis that the action starts and returns what the page holds. */
async function analysed(page: Page, action: () => Promise<void>): Promise<PageState> {
  await page.evaluate(() => {
    const state = (globalThis as { serPage?: PageState }).serPage!;
    state.analysis = undefined;
    state.error = undefined;
  });
  await action();
  await page.waitForFunction(() => {
    const state = (globalThis as { serPage?: PageState }).serPage!;
    return state.analysis !== undefined || state.error !== undefined;
  }, null, { timeout: 60_000 });
  // Typed arrays come back as plain objects: the features travel as an array.
  return page.evaluate(() => {
    const state = (globalThis as { serPage?: PageState }).serPage!;
    if (!state.analysis) return { ...state };
    const features = state.analysis.features;
    return { ...state, analysis: { ...state.analysis, features: { ...features, data: Array.from(features.data) as unknown as Float32Array } } };
  });
}

function maxDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let most = 0;
  for (let i = 0; i < a.length; i++) most = Math.max(most, Math.abs(a[i] - b[i]));
  return most;
}

async function nodePrediction(file: string): Promise<ClipPrediction> {
  const [outcome] = await predictFiles(saved, [file], { plan: { kind: 'windows', ...DEFAULT_WINDOW_OPTIONS } });
  if (isClipFailure(outcome)) throw new Error(outcome.error);
  return outcome;
}

describe.skipIf(!haveChromium)('the page in headless Chromium', () => {
  beforeAll(async () => {
    mkdirSync(artefacts, { recursive: true });
    await selectBackend('wasm');
    const modelDir = await trainTinyModel(work);
    saved = await loadModel(modelDir);

    const speaker = join(repoRoot, 'data/demo/en/en01');
    const speech = await Promise.all(readdirSync(speaker).sort().map(async (name) => (await decodeAudio(join(speaker, name), { sampleRate: SAMPLE_RATE })).samples));
    const joined = new Float32Array(speech.reduce((total, samples) => total + samples.length, 0));
    speech.reduce((offset, samples) => (joined.set(samples, offset), offset + samples.length), 0);
    writeWav(clips.tenSeconds, SAMPLE_RATE, [int16(joined.subarray(0, 10 * SAMPLE_RATE))]);
    const demo = (await decodeAudio(clips.demo, { sampleRate: SAMPLE_RATE })).samples;
    const upsampled = resample(demo, SAMPLE_RATE, 44100);
    writeWav(clips.stereo, 44100, [int16(upsampled), int16(upsampled.map((x) => 0.5 * x))]);
    writeFileSync(clips.notAudio, 'these are notes, not audio');

    const pageDir = join(work, 'page');
    await buildPage(pageDir);
    server = await startWebServer({ pageDir, modelDir, host: '127.0.0.1', port: 0 });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream', `--use-file-for-fake-audio-capture=${clips.tenSeconds}`],
    });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    // Checked once every test has run: no page may ask anything of another origin, nor break the CSP.
    expect(outsideRequests).toEqual([]);
    expect(consoleErrors.filter((text) => /Content.Security.Policy|Refused to/i.test(text))).toEqual([]);
  });

  it('gives a dropped demo WAV the prediction `ser predict` gives it, from the features Node extracts', async () => {
    const page = await newPage(await browser.newContext());
    const state = await analysed(page, () => page.getByLabel('Choose a file').setInputFiles(clips.demo));
    expect(state.error).toBeUndefined();
    expect(state.backend).toMatch(/^(wasm|webgl)$/);
    const analysis = state.analysis!;
    const node = extractFeatures((await decodeAudio(clips.demo, { sampleRate: SAMPLE_RATE })).samples, SAMPLE_RATE, saved.card.featureConfig);
    expect([analysis.features.frames, analysis.features.dims]).toEqual([node.frames, node.dims]);
    expect(maxDifference(analysis.features.data, node.data)).toBeLessThan(1e-4);
    const predicted = await nodePrediction(clips.demo);
    expect(analysis.emotion).toBe(predicted.emotion);
    for (const label of saved.card.labels) expect(Math.abs(analysis.probabilities[label] - predicted.probabilities![label])).toBeLessThan(1e-3);
    expect(await page.locator('#top').textContent()).toContain(`en01_angry_01.wav: ${predicted.emotion}`);
    expect(await page.locator('#card').textContent()).toContain(saved.card.labels.join(', '));
    await page.keyboard.press('Tab');
    await page.screenshot({ path: join(artefacts, 'result-desktop.png'), fullPage: true });
    await page.close();
  });

  it('downmixes and resamples a 44.1 kHz stereo WAV dropped on the page as Node does', async () => {
    const page = await newPage(await browser.newContext());
    const state = await analysed(page, async () => {
      const dataTransfer = await page.evaluateHandle((base64) => {
        const transfer = new DataTransfer();
        transfer.items.add(new File([Uint8Array.from(atob(base64), (c) => c.charCodeAt(0))], 'stereo-44k.wav', { type: 'audio/wav' }));
        return transfer;
      }, readFileSync(clips.stereo).toString('base64'));
      await page.dispatchEvent('#drop', 'drop', { dataTransfer });
    });
    expect(await page.locator('#top').textContent()).toMatch(/^stereo-44k\.wav: /);
    const node = extractFeatures((await decodeAudio(clips.stereo, { sampleRate: SAMPLE_RATE })).samples, SAMPLE_RATE, saved.card.featureConfig);
    expect(maxDifference(state.analysis!.features.data, node.data)).toBeLessThan(1e-4);
    const predicted = await nodePrediction(clips.stereo);
    for (const label of saved.card.labels) expect(Math.abs(state.analysis!.probabilities[label] - predicted.probabilities![label])).toBeLessThan(1e-3);
    await page.close();
  });

  it('analyses a 10 s clip in under a second, with a timeline of its segments', async () => {
    const page = await newPage(await browser.newContext());
    const state = await analysed(page, () => page.getByLabel('Choose a file').setInputFiles(clips.tenSeconds));
    console.log(`10 s clip analysed in ${state.analysisMs!.toFixed(0)} ms (${state.backend}, headless Chromium)`);
    expect(state.analysisMs).toBeLessThan(1000);
    const segments = state.analysis!.segments;
    expect(segments[0].start).toBe(0);
    expect(segments.at(-1)!.end).toBe(10);
    expect(await page.locator('#segments li').count()).toBe(segments.length);
    const predicted = await nodePrediction(clips.tenSeconds);
    expect(state.analysis!.emotion).toBe(predicted.emotion);
    await page.close();
  });

  it('records through the fake microphone with the keyboard alone, and fits a phone screen', async () => {
    const context = await browser.newContext({ viewport: { width: 375, height: 740 }, isMobile: true, hasTouch: true });
    const page = await newPage(context);
    // Tab reaches the file chooser, then the record button; Enter starts and stops the recording.
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('file');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('record');
    const state = await analysed(page, async () => {
      await page.keyboard.press('Enter');
      await page.getByRole('button', { name: 'Stop recording', pressed: true }).waitFor();
      await page.waitForTimeout(2500);
      await page.keyboard.press('Enter');
    });
    expect(state.error).toBeUndefined();
    const analysis = state.analysis!;
    expect(analysis.duration).toBeGreaterThan(1.5);
    const total = Object.values(analysis.probabilities).reduce((sum, p) => sum + p, 0);
    expect(total).toBeCloseTo(1, 5);
    expect(await page.getByRole('status').textContent()).toContain('Analysed');
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
    await page.screenshot({ path: join(artefacts, 'recording-phone.png'), fullPage: true });
    await context.close();
  });

  it('says what went wrong with a file it cannot decode, in the status line screen readers announce', async () => {
    const page = await newPage(await browser.newContext());
    const state = await analysed(page, () => page.getByLabel('Choose a file').setInputFiles(clips.notAudio));
    expect(state.error).toMatch(/^Could not analyse notes\.wav: /);
    expect(await page.getByRole('status').textContent()).toBe(state.error);
    await page.close();
  });
});
