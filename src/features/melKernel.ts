/**
 * Kaldi's per-frame pipeline four frames at a time (DC removal, pre-emphasis, window, |FFT|², mel weights,
 * log, and for MFCC the DCT with the lifter folded in) as one WebAssembly SIMD function, assembled from its opcodes
 * (util/wasm.ts), in which each f32x4 lane carries one frame of a block of four consecutive frames. Every
 * step is then the scalar formula with four frames per instruction, and nothing is shuffled between lanes.
 * Where wasm SIMD is missing, extract.ts runs the same formulas frame by frame in float64 (frames.ts,
 * spectrum.ts, filterbank.ts): the reference this kernel is tested against (float32 here, as in Kaldi).
 *
 * Per frame x[0 … N−1] (N = frameLength) starting frameShift·t samples in, as computed:
 *   mean  = Σ x[i] / N                       (0 without DC removal)
 *   y[i]  = ((x[i] − mean) − c·(x[i−1] − mean)) · w[i],  x[−1] = x[0];  y[i] = 0 for N ≤ i < fftSize
 *   z[n]  = y[2n] + i·y[2n+1], n < M = fftSize/2;  Z = FFT_M(z)  (radix-2 decimation in frequency,
 *           Z[k] left at bit-reversed position rev(k); stage of span s: a' = a + b, b' = (a − b)·e^(−iπj/s))
 *   for k = 0 … M/2, with A = Z[k], B = Z[(M − k) mod M] (spectrum.ts, without its halvings):
 *     E = (A_re + B_re) + i(A_im − B_im),  O = (A_im + B_im) + i(B_re − A_re),  P = e^(−2πik/fftSize)·O
 *     4·|X[k]|² = |E + P|²,  4·|X[M − k]|² = |E − P|²
 *   mel[m] = Σ_k (weight_m(k)/4) · 4|X[k]|²   (the quarter folded into the weights)
 *   logMel[m] = ln(max(mel[m], 2^−23)), with v = 2^e·r, r in [1, 2), halved (e + 1) when over √2, and
 *           s = (r − 1)/(r + 1):  ln v = e·ln 2 + 2s·(1 + s²/3 + s⁴/5 + s⁶/7 + s⁸/9)  (|s| ≤ 0.172, so the
 *           series' remainder is under 1e−9, below float32 rounding)
 *   out[c] = Σ_m T[c][m] · logMel[m]   (T: the DCT rows times the lifter for MFCC, the identity for fbank)
 * Output: for block b, the `rows` vectors out[c] of its four frames, lane j = frame 4b + j.
 *
 * Example: 16 kHz, 25 ms frames: N = 400, fftSize 512, M = 256 complex points, 8 radix-2 stages, 23 mel bins.
 */
import { alignTo16, ensureMemory, instantiate, op, whileLoop, type WasmFunction } from '../util/wasm.js';
import type { MelFilterBank } from './filterbank.js';
import { powerSpectrumPlan } from './spectrum.js';

export interface MelKernel {
  memory: WebAssembly.Memory;
  /** `header`: the plan's address; `signal`: the first sample of block 0; four frames a block, `blocks` blocks; `out`: 16 bytes per mel bin and block. */
  run(header: number, signal: number, blocks: number, out: number): void;
}

/** What one configuration's frames need; the window carries Kaldi's int16 scale. */
export interface MelPlan {
  /** rows × numBins, row-major: the lifted DCT (MFCC), or null for the log mel energies themselves (fbank). */
  transform: Float64Array | null;
  rows: number;
  frameLength: number;
  frameShift: number;
  fftSize: number;
  window: Float64Array;
  preemphasisCoefficient: number;
  removesDc: boolean;
  melBank: MelFilterBank;
}

const LANES = 4;
const VECTOR = 16;
const COMPLEX_VECTOR = 32;
/** Frames per kernel call: bounds the memory a long clip needs. */
const CHUNK_FRAMES = 1024;

// Header fields (byte offsets; addresses absolute, sizes in bytes).
const H = {
  frameBytes: 0, // N vectors: 16·N
  shiftBytes: 4, // 4·frameShift
  fftBytes: 8, // fftSize vectors: 16·fftSize = 32·M
  window: 12,
  scratch: 16,
  z: 20,
  twiddles: 24,
  post: 28,
  postEnd: 32,
  mel: 36,
  melEnd: 40,
  meanScale: 44, // f32: 1/N, or 0 without DC removal
  preemphasis: 48, // f32
  firstSpan: 52, // 32·M/2
  logMel: 56,
  transform: 60,
  transformEnd: 64,
};
const HEADER_BYTES = 80;

// Parameters, then i32 locals, then v128 locals.
const [HEADER, SIGNAL, BLOCKS, OUT] = [0, 1, 2, 3];
const I32_LOCALS = ['frameBytes', 'shiftBytes', 'fftBytes', 'window', 'scratch', 'z', 'zEnd', 'twiddles', 'post', 'postEnd', 'mel', 'melEnd',
  'firstSpan', 'i', 'sample', 'a0', 'a1', 'a2', 'a3', 'span', 'stride', 'j', 'tw', 'a', 'b', 'entry', 'p', 'w', 'wEnd', 'logMel', 'logMelEnd',
  'q', 'transform', 'transformEnd'] as const;
const V128_LOCALS = ['sum', 'mean', 'c', 'prev', 'cur', 'v', 'wc', 'ws', 'ar', 'ai', 'br', 'bi', 'dr', 'di', 'er', 'ei', 'or', 'oi', 'pr', 'pi',
  'x', 'y', 'acc', 'e', 'r', 'big', 's', 's2', 'poly'] as const;
const local = Object.fromEntries([...I32_LOCALS, ...V128_LOCALS].map((name, index) => [name, 4 + index])) as Record<
  (typeof I32_LOCALS)[number] | (typeof V128_LOCALS)[number],
  number
>;

const get = (name: keyof typeof local) => op.localGet(local[name]);
const set = (name: keyof typeof local, value: number[]) => [...value, ...op.localSet(local[name])];
const addTo = (name: keyof typeof local, amount: number[]) => set(name, [...get(name), ...amount, ...op.i32Add]);
const below = (a: keyof typeof local, b: keyof typeof local) => [...get(a), ...get(b), ...op.i32LtU];
const load = (address: number[], offset = 0) => [...address, ...op.v128Load(offset)];
const store = (address: number[], value: number[], offset = 0) => [...address, ...value, ...op.v128Store(offset)];
const splat = (address: number[], offset = 0) => [...address, ...op.f32Load(offset), ...op.f32x4Splat];
const add = (a: number[], b: number[]) => [...a, ...b, ...op.f32x4Add];
const sub = (a: number[], b: number[]) => [...a, ...b, ...op.f32x4Sub];
const mul = (a: number[], b: number[]) => [...a, ...b, ...op.f32x4Mul];
const square = (name: keyof typeof local) => mul(get(name), get(name));
const field = (offset: number) => [...op.localGet(HEADER), ...op.i32Load(offset)];
const constant = (value: number) => op.f32x4Const(value);

/** Float32's epsilon: Kaldi's floor under a mel energy (filterbank.ts FLOAT32_EPSILON). */
const LOG_FLOOR = 2 ** -23;
const FLOAT_EXPONENT_BIAS = 127;
const FLOAT_MANTISSA_BITS = 23;

/** x = ln(max(acc, LOG_FLOOR)), four lanes, as in the module comment. */
const logOfAcc = [
  ...set('v', [...get('acc'), ...constant(LOG_FLOOR), ...op.f32x4Max]),
  ...set('e', [...get('v'), ...op.i32Const(FLOAT_MANTISSA_BITS), ...op.i32x4ShrU, ...op.i32x4Const(FLOAT_EXPONENT_BIAS), ...op.i32x4Sub, ...op.f32x4ConvertI32x4S]),
  ...set('r', [...get('v'), ...op.i32x4Const(2 ** FLOAT_MANTISSA_BITS - 1), ...op.v128And, ...op.i32x4Const(FLOAT_EXPONENT_BIAS << FLOAT_MANTISSA_BITS), ...op.v128Or]),
  ...set('big', [...get('r'), ...constant(Math.SQRT2), ...op.f32x4Gt]),
  ...set('r', [...mul(get('r'), constant(0.5)), ...get('r'), ...get('big'), ...op.v128Bitselect]),
  ...set('e', add(get('e'), [...get('big'), ...constant(1), ...op.v128And])),
  ...set('s', [...sub(get('r'), constant(1)), ...add(get('r'), constant(1)), ...op.f32x4Div]),
  ...set('s2', square('s')),
  ...set('poly', constant(1 / 9)),
  ...[1 / 7, 1 / 5, 1 / 3, 1].flatMap((coefficient) => set('poly', add(mul(get('poly'), get('s2')), constant(coefficient)))),
  ...set('x', add(mul(get('e'), constant(Math.LN2)), mul(mul(get('s'), constant(2)), get('poly')))),
];

function melFunction(): WasmFunction {
  const header = [
    ...set('frameBytes', field(H.frameBytes)), ...set('shiftBytes', field(H.shiftBytes)), ...set('fftBytes', field(H.fftBytes)),
    ...set('window', field(H.window)), ...set('scratch', field(H.scratch)), ...set('z', field(H.z)),
    ...set('zEnd', [...get('z'), ...get('fftBytes'), ...op.i32Add]),
    ...set('twiddles', field(H.twiddles)), ...set('post', field(H.post)), ...set('postEnd', field(H.postEnd)),
    ...set('mel', field(H.mel)), ...set('melEnd', field(H.melEnd)), ...set('firstSpan', field(H.firstSpan)),
    ...set('logMel', field(H.logMel)), ...set('transform', field(H.transform)), ...set('transformEnd', field(H.transformEnd)),
    // Both the mel table and the log energies take 16 bytes a bin.
    ...set('logMelEnd', [...get('logMel'), ...get('melEnd'), ...get('mel'), ...op.i32Sub, ...op.i32Add]),
    ...set('c', splat(op.localGet(HEADER), H.preemphasis)),
  ];
  // The four frames of the block side by side, and their sums.
  const gather = [
    ...set('a1', [...get('a0'), ...get('shiftBytes'), ...op.i32Add]),
    ...set('a2', [...get('a1'), ...get('shiftBytes'), ...op.i32Add]),
    ...set('a3', [...get('a2'), ...get('shiftBytes'), ...op.i32Add]),
    ...set('sum', op.v128Zero),
    ...set('i', op.i32Const(0)),
    ...whileLoop(below('i', 'frameBytes'), [
      ...set('sample', [...get('i'), ...op.i32Const(2), ...op.i32ShrU]),
      ...set('v', splat([...get('a0'), ...get('sample'), ...op.i32Add])),
      ...[1, 2, 3].flatMap((lane) => set('v', [...get('v'), ...get(`a${lane}` as 'a1'), ...get('sample'), ...op.i32Add, ...op.f32Load(0), ...op.f32x4ReplaceLane(lane)])),
      ...store([...get('scratch'), ...get('i'), ...op.i32Add], get('v')),
      ...set('sum', add(get('sum'), get('v'))),
      ...addTo('i', op.i32Const(VECTOR)),
    ]),
    ...set('mean', mul(get('sum'), splat(op.localGet(HEADER), H.meanScale))),
  ];
  const windowed = [
    ...set('prev', sub(load(get('scratch')), get('mean'))),
    ...set('i', op.i32Const(0)),
    ...whileLoop(below('i', 'frameBytes'), [
      ...set('cur', sub(load([...get('scratch'), ...get('i'), ...op.i32Add]), get('mean'))),
      ...store(
        [...get('z'), ...get('i'), ...op.i32Add],
        mul(sub(get('cur'), mul(get('c'), get('prev'))), splat([...get('window'), ...get('i'), ...op.i32Const(2), ...op.i32ShrU, ...op.i32Add])),
      ),
      ...set('prev', get('cur')),
      ...addTo('i', op.i32Const(VECTOR)),
    ]),
    ...whileLoop(below('i', 'fftBytes'), [...store([...get('z'), ...get('i'), ...op.i32Add], op.v128Zero), ...addTo('i', op.i32Const(VECTOR))]),
  ];
  const butterfly = [
    ...set('b', [...get('a'), ...get('span'), ...op.i32Add]),
    ...set('ar', load(get('a'))), ...set('ai', load(get('a'), VECTOR)),
    ...set('br', load(get('b'))), ...set('bi', load(get('b'), VECTOR)),
    ...store(get('a'), add(get('ar'), get('br'))), ...store(get('a'), add(get('ai'), get('bi')), VECTOR),
    ...set('dr', sub(get('ar'), get('br'))), ...set('di', sub(get('ai'), get('bi'))),
    ...store(get('b'), add(mul(get('dr'), get('wc')), mul(get('di'), get('ws')))),
    ...store(get('b'), sub(mul(get('di'), get('wc')), mul(get('dr'), get('ws'))), VECTOR),
    ...set('a', [...get('a'), ...get('span'), ...get('span'), ...op.i32Add, ...op.i32Add]),
  ];
  const fft = [
    ...set('span', get('firstSpan')),
    ...set('stride', op.i32Const(COMPLEX_VECTOR)),
    ...whileLoop([...get('span'), ...op.i32Const(COMPLEX_VECTOR), ...op.i32GeU], [
      ...set('j', op.i32Const(0)),
      ...set('tw', get('twiddles')),
      ...whileLoop(below('j', 'span'), [
        ...set('wc', load(get('tw'))), ...set('ws', load(get('tw'), VECTOR)),
        ...set('a', [...get('z'), ...get('j'), ...op.i32Add]),
        ...whileLoop(below('a', 'zEnd'), butterfly),
        ...addTo('j', op.i32Const(COMPLEX_VECTOR)),
        ...addTo('tw', get('stride')),
      ]),
      ...set('span', [...get('span'), ...op.i32Const(1), ...op.i32ShrU]),
      ...set('stride', [...get('stride'), ...op.i32Const(1), ...op.i32Shl]),
    ]),
  ];
  const entryField = (offset: number) => [...get('entry'), ...op.i32Load(offset)];
  const power = [
    ...set('entry', get('post')),
    ...whileLoop(below('entry', 'postEnd'), [
      ...set('a', entryField(0)), ...set('b', entryField(4)),
      ...set('wc', splat(get('entry'), 16)), ...set('ws', splat(get('entry'), 20)),
      ...set('ar', load(get('a'))), ...set('ai', load(get('a'), VECTOR)),
      ...set('br', load(get('b'))), ...set('bi', load(get('b'), VECTOR)),
      ...set('er', add(get('ar'), get('br'))), ...set('ei', sub(get('ai'), get('bi'))),
      ...set('or', add(get('ai'), get('bi'))), ...set('oi', sub(get('br'), get('ar'))),
      ...set('pr', add(mul(get('wc'), get('or')), mul(get('ws'), get('oi')))),
      ...set('pi', sub(mul(get('wc'), get('oi')), mul(get('ws'), get('or')))),
      ...set('x', add(get('er'), get('pr'))), ...set('y', add(get('ei'), get('pi'))),
      ...store(entryField(8), add(square('x'), square('y'))),
      ...set('x', sub(get('er'), get('pr'))), ...set('y', sub(get('ei'), get('pi'))),
      ...store(entryField(12), add(square('x'), square('y'))),
      ...addTo('entry', op.i32Const(32)),
    ]),
  ];
  const mel = [
    ...set('entry', get('mel')),
    ...set('q', get('logMel')),
    ...whileLoop(below('entry', 'melEnd'), [
      ...set('p', entryField(0)), ...set('w', entryField(4)), ...set('wEnd', entryField(8)),
      ...set('acc', op.v128Zero),
      ...whileLoop(below('w', 'wEnd'), [
        ...set('acc', add(get('acc'), mul(load(get('w')), load(get('p'))))),
        ...addTo('w', op.i32Const(VECTOR)),
        ...addTo('p', op.i32Const(VECTOR)),
      ]),
      ...logOfAcc,
      ...store(get('q'), get('x')),
      ...addTo('q', op.i32Const(VECTOR)),
      ...addTo('entry', op.i32Const(VECTOR)),
    ]),
  ];
  // One output row per transform row: its weights (splatted) against the log mel energies.
  const transform = [
    ...set('w', get('transform')),
    ...whileLoop(below('w', 'transformEnd'), [
      ...set('acc', op.v128Zero),
      ...set('q', get('logMel')),
      ...whileLoop(below('q', 'logMelEnd'), [
        ...set('acc', add(get('acc'), mul(load(get('w')), load(get('q'))))),
        ...addTo('w', op.i32Const(VECTOR)),
        ...addTo('q', op.i32Const(VECTOR)),
      ]),
      ...store(op.localGet(OUT), get('acc')),
      ...op.localGet(OUT), ...op.i32Const(VECTOR), ...op.i32Add, ...op.localSet(OUT),
    ]),
  ];
  const body = [
    ...header,
    ...op.localGet(SIGNAL), ...op.localSet(local.a0),
    ...whileLoop(op.localGet(BLOCKS), [
      ...gather, ...windowed, ...fft, ...power, ...mel, ...transform,
      ...set('a0', [...get('a3'), ...get('shiftBytes'), ...op.i32Add]),
      ...op.localGet(BLOCKS), ...op.i32Const(1), ...op.i32Sub, ...op.localSet(BLOCKS),
    ]),
  ];
  return { name: 'mel', params: 4, locals: { i32: I32_LOCALS.length, v128: V128_LOCALS.length }, body };
}

/** Undefined where the engine lacks wasm SIMD. */
export function simdMelKernel(): MelKernel | undefined {
  return instantiate<MelKernel['run']>(melFunction());
}

let defaultKernel: MelKernel | null | undefined;

/** The SIMD kernel, shared; null where the engine lacks wasm SIMD (then extract.ts computes frame by frame). */
export function melKernel(): MelKernel | null {
  if (defaultKernel === undefined) defaultKernel = simdMelKernel() ?? null;
  return defaultKernel;
}

/** Each kernel's memory holds the plans it has run (their headers' addresses), placed once; above `top` it is scratch for the running call. */
interface KernelHeap {
  top: number;
  plans: Map<MelPlan, number>;
}
const heaps = new WeakMap<MelKernel, KernelHeap>();

function kernelHeap(kernel: MelKernel): KernelHeap {
  let heap = heaps.get(kernel);
  if (!heap) {
    heap = { top: VECTOR, plans: new Map() };
    heaps.set(kernel, heap);
  }
  return heap;
}

/** Copies the plan's header and tables into the kernel's memory once; returns the header's address. */
function placePlan(kernel: MelKernel, heap: KernelHeap, plan: MelPlan): number {
  const placed = heap.plans.get(plan);
  if (placed !== undefined) return placed;

  const { frameLength, fftSize, window, melBank } = plan;
  const half = fftSize / 2;
  const spectrum = powerSpectrumPlan(fftSize);
  const pairs = spectrum.atBin.length;
  const weightCount = melBank.weights.length;
  let top = heap.top;
  const take = (bytes: number) => {
    const at = top;
    top = alignTo16(top + bytes);
    return at;
  };
  const header = take(HEADER_BYTES);
  const windowAt = take(4 * frameLength);
  const scratch = take(VECTOR * frameLength);
  const z = take(COMPLEX_VECTOR * half);
  const twiddles = take(COMPLEX_VECTOR * (half / 2));
  const post = take(32 * pairs);
  const powerAt = take(VECTOR * (half + 1));
  const mel = take(VECTOR * melBank.numBins);
  const weights = take(VECTOR * weightCount);
  const logMel = take(VECTOR * melBank.numBins);
  const transform = take(VECTOR * plan.rows * melBank.numBins);
  ensureMemory(kernel.memory, top);

  const ints = new Int32Array(kernel.memory.buffer);
  const floats = new Float32Array(kernel.memory.buffer);
  const int = (address: number, value: number) => (ints[address >> 2] = value);
  const float = (address: number, value: number) => (floats[address >> 2] = value);
  const splatAt = (address: number, value: number) => floats.fill(value, address >> 2, (address >> 2) + LANES);
  [
    [H.frameBytes, VECTOR * frameLength], [H.shiftBytes, 4 * plan.frameShift], [H.fftBytes, VECTOR * fftSize], [H.window, windowAt],
    [H.scratch, scratch], [H.z, z], [H.twiddles, twiddles], [H.post, post], [H.postEnd, post + 32 * pairs], [H.mel, mel],
    [H.melEnd, mel + VECTOR * melBank.numBins], [H.firstSpan, COMPLEX_VECTOR * (half / 2)], [H.logMel, logMel], [H.transform, transform],
    [H.transformEnd, transform + VECTOR * plan.rows * melBank.numBins],
  ].forEach(([offset, value]) => int(header + offset, value));
  float(header + H.meanScale, plan.removesDc ? 1 / frameLength : 0);
  float(header + H.preemphasis, plan.preemphasisCoefficient);
  floats.set(window, windowAt >> 2);
  for (let k = 0; k < half / 2; k++) {
    const angle = (2 * Math.PI * k) / half;
    splatAt(twiddles + COMPLEX_VECTOR * k, Math.cos(angle));
    splatAt(twiddles + COMPLEX_VECTOR * k + VECTOR, Math.sin(angle));
  }
  for (let k = 0; k < pairs; k++) {
    const entry = post + 32 * k;
    int(entry, z + COMPLEX_VECTOR * spectrum.atBin[k]);
    int(entry + 4, z + COMPLEX_VECTOR * spectrum.atMirrorBin[k]);
    int(entry + 8, powerAt + VECTOR * k);
    int(entry + 12, powerAt + VECTOR * (half - k));
    float(entry + 16, spectrum.cos[k]);
    float(entry + 20, spectrum.sin[k]);
  }
  for (let m = 0; m < melBank.numBins; m++) {
    int(mel + VECTOR * m, powerAt + VECTOR * melBank.firstBin[m]);
    int(mel + VECTOR * m + 4, weights + VECTOR * melBank.offsets[m]);
    int(mel + VECTOR * m + 8, weights + VECTOR * melBank.offsets[m + 1]);
  }
  for (let i = 0; i < weightCount; i++) splatAt(weights + VECTOR * i, melBank.weights[i] / 4);
  for (let row = 0; row < plan.rows; row++) {
    for (let m = 0; m < melBank.numBins; m++) {
      const weight = plan.transform ? plan.transform[row * melBank.numBins + m] : Number(row === m);
      splatAt(transform + VECTOR * (row * melBank.numBins + m), weight);
    }
  }

  heap.top = top;
  heap.plans.set(plan, header);
  return header;
}

/**
 * Writes the plan.rows base features (MFCCs, or log mel energies) of frames 0 … frames−1 of `samples`
 * (frame t starting at t·frameShift) into row t of `into`, whose rows are `stride` values apart; in chunks
 * of CHUNK_FRAMES frames.
 */
export function baseFeatures(kernel: MelKernel, plan: MelPlan, samples: Float32Array, frames: number, into: Float32Array, stride: number): void {
  const heap = kernelHeap(kernel);
  const header = placePlan(kernel, heap, plan);
  const { frameShift, frameLength } = plan;
  const { rows } = plan;
  const chunkBlocks = CHUNK_FRAMES / LANES;
  const chunkSamples = (CHUNK_FRAMES - 1) * frameShift + frameLength;
  const signal = heap.top;
  const out = alignTo16(signal + 4 * chunkSamples);
  ensureMemory(kernel.memory, out + VECTOR * rows * chunkBlocks);
  const floats = new Float32Array(kernel.memory.buffer);
  const signalIndex = signal >> 2;
  const outIndex = out >> 2;
  for (let first = 0; first < frames; first += CHUNK_FRAMES) {
    const count = Math.min(CHUNK_FRAMES, frames - first);
    const blocks = Math.ceil(count / LANES);
    // The last block's missing frames read zeros; their energies are not copied out.
    const from = first * frameShift;
    const needed = (LANES * blocks - 1) * frameShift + frameLength;
    const present = Math.min(needed, samples.length - from);
    floats.set(samples.subarray(from, from + present), signalIndex);
    floats.fill(0, signalIndex + present, signalIndex + needed);
    kernel.run(header, signal, blocks, out);
    for (let t = 0; t < count; t++) {
      const block = outIndex + (t >> 2) * LANES * rows + (t & 3);
      const row = (first + t) * stride;
      for (let c = 0; c < rows; c++) into[row + c] = floats[block + LANES * c];
    }
  }
}
