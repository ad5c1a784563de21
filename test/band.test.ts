import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resample } from '../src/audio/index.js';
import { featureConfigFromArgs, type FeatureOptionArgs } from '../src/cli/featureOptions.js';
import { melBinsAbove, narrowBandNotice, occupiedBandwidth, resolveFeatureConfig } from '../src/features/index.js';
import { repoRoot, runCli } from './helpers/cli.js';

/** Deterministic white noise (a linear congruential generator), full band at any rate. */
function noise(length: number): Float32Array {
  let state = 12345;
  return Float32Array.from({ length }, () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state / 2 ** 31 - 1;
  });
}

/** What an 8 kHz telephone line leaves of a 16 kHz signal: down to 8 kHz and back up. */
function throughTelephone(samples: Float32Array): Float32Array {
  return resample(resample(samples, 16000, 8000), 8000, 16000);
}

describe('occupied bandwidth and the mel bank', () => {
  const wideband = noise(32000);
  const telephone = throughTelephone(wideband);

  it('finds full-band audio full and 8 kHz audio upsampled to 16 kHz ending below 4 kHz', () => {
    expect(occupiedBandwidth(wideband, 16000)).toBeGreaterThan(7900);
    const narrow = occupiedBandwidth(telephone, 16000);
    expect(narrow).toBeGreaterThan(3500);
    expect(narrow).toBeLessThan(4000);
    expect(occupiedBandwidth(new Float32Array(16000), 16000)).toBe(0);
  });

  it('counts the mel filters centred above the band: 6 of the default 23 above 3.6 kHz, none once --high-freq stops the bank there', () => {
    const config = resolveFeatureConfig();
    expect(melBinsAbove(config, 8000)).toBe(0);
    expect(melBinsAbove(config, 3600)).toBe(6);
    expect(melBinsAbove(resolveFeatureConfig({ highFreq: 3600 }), 3600)).toBe(0);
  });

  it('says when a corpus is narrower than the bank, naming the --high-freq that fits, and not otherwise', () => {
    const bandwidths = [occupiedBandwidth(telephone, 16000), occupiedBandwidth(throughTelephone(noise(20000)), 16000)];
    const notice = narrowBandNotice(resolveFeatureConfig(), bandwidths);
    expect(notice).toMatch(/reaches only about 3\d{3} Hz .* 6 of its 23 filters .* --high-freq 3\d00/);
    expect(narrowBandNotice(resolveFeatureConfig({ highFreq: 3500 }), bandwidths)).toBeUndefined();
    // One full-band file among them: the corpus is not narrow.
    expect(narrowBandNotice(resolveFeatureConfig(), [...bandwidths, occupiedBandwidth(wideband, 16000)])).toBeUndefined();
    expect(narrowBandNotice(resolveFeatureConfig(), [])).toBeUndefined();
  });
});

describe('--low-freq and --high-freq', () => {
  const args = (band: Partial<FeatureOptionArgs>): FeatureOptionArgs => ({ type: 'mfcc', numCeps: 13, numMelBins: 23, deltas: true, ...band });

  it('set the mel bank edges, Kaldi style: 0 or negative high frequencies count down from 8 kHz', () => {
    expect(featureConfigFromArgs(args({ lowFreq: 100, highFreq: 3800 }))).toMatchObject({ lowFreq: 100, highFreq: 3800 });
    expect(featureConfigFromArgs(args({ highFreq: -400 }))).toMatchObject({ lowFreq: 20, highFreq: -400 });
    expect(featureConfigFromArgs(args({}))).toMatchObject({ lowFreq: 20, highFreq: 0 });
  });

  it.each([
    [{ lowFreq: -1 }, /--low-freq must lie in \[0, 8000\)/],
    [{ lowFreq: 8000 }, /--low-freq/],
    [{ highFreq: 9000 }, /--high-freq 9000 puts the top of the mel bank at 9000 Hz/],
    [{ highFreq: -8000 }, /--high-freq -8000/],
    [{ lowFreq: 4000, highFreq: 3000 }, /above --low-freq 4000/],
    [{ highFreq: Number.NaN }, /--high-freq NaN/],
  ])('refuse %o', (band, message) => {
    expect(() => featureConfigFromArgs(args(band))).toThrow(message);
  });
});

describe('ser preprocess on telephone audio', () => {
  const workDir = mkdtempSync(join(tmpdir(), 'band-test-'));
  afterAll(() => rmSync(workDir, { recursive: true, force: true }));

  // The demo's German half went through a 300–3400 Hz telephone band-pass (scripts/make-demo-corpus.mjs).
  it('says the demo German corpus is narrower than the mel bank, and refuses a --high-freq above 8 kHz', async () => {
    const run = await runCli(['preprocess', join(repoRoot, 'data/demo/de'), '--out', join(workDir, 'de'), '--workers', '1']);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/The audio reaches only about 3\d{3} Hz .* --high-freq 3\d00 limits the bank/);
    const refused = await runCli(['preprocess', join(repoRoot, 'data/demo/de'), '--out', join(workDir, 'de-wide'), '--high-freq', '9000']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/--high-freq 9000/);
  });
});
