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
 * Output: lane j of out[c] to column c of frame 4b + j's row. A second function then adds Kaldi's deltas
 * (deltas.ts) along the rows, four columns a step: Δ^i x[t] = Σ_j scales[i][j] · x[t + j − centre], the
 * frames past either end repeating the edge frame (kernelFeatures copies them in).
 *
 * Example: 16 kHz, 25 ms frames: N = 400, fftSize 512, M = 256 complex points, 8 radix-2 stages, 23 mel bins.
 */
import { alignTo16, ensureMemory, instantiate, op, whileLoop, type WasmFunction } from '../util/wasm.js';
import type { MelFilterBank } from './filterbank.js';
import { powerSpectrumPlan } from './spectrum.js';

export interface MelKernel {
  memory: WebAssembly.Memory;
  /** `header`: the plan's address; `signal`: the first sample of block 0; four frames a block, `blocks` blocks; `out`: the first frame's row (rows rowBytes apart). */
  features(header: number, signal: number, blocks: number, out: number): void;
  /** The deltas of `count` rows from `row` on, whose neighbours (the plan's reach each side) hold base features. */
  deltas(header: number, row: number, count: number): void;
}

/** What one configuration's frames need; the window carries Kaldi's int16 scale. */
export interface MelPlan {
  /** rows × numBins, row-major: the lifted DCT (MFCC), or null for the log mel energies themselves (fbank). */
  transform: Float64Array | null;
  rows: number;
  /** Kaldi's delta filters (deltas.ts deltaScales; [0] is the identity), or null without deltas. */
  deltaScales: Float64Array[] | null;
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
  rowBytes: 68,
  deltaTable: 72, // per order ≥ 1: taps address, taps end, reach in bytes (centre · rowBytes), target column in bytes
  deltaTableEnd: 76,
  baseBytes: 80, // 4 · rows: the base features' width in a row
};
const HEADER_BYTES = 96;

// Parameters, then i32 locals, then v128 locals.
const [HEADER, SIGNAL, BLOCKS, OUT] = [0, 1, 2, 3];
const I32_LOCALS = ['frameBytes', 'shiftBytes', 'fftBytes', 'window', 'scratch', 'z', 'zEnd', 'twiddles', 'post', 'postEnd', 'mel', 'melEnd',
  'firstSpan', 'i', 'sample', 'a0', 'a1', 'a2', 'a3', 'span', 'stride', 'j', 'tw', 'a', 'b', 'entry', 'p', 'w', 'wEnd', 'logMel', 'logMelEnd',
  'q', 'transform', 'transformEnd', 'rowBytes', 'column'] as const;
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
    ...set('rowBytes', field(H.rowBytes)),
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
  // One output column per transform row: its weights (splatted) against the log mel energies; lane j goes to frame j's row.
  const laneAddress = (lane: number) => [...get('column'), ...(lane === 0 ? [] : [...get('rowBytes'), ...op.i32Const(lane), ...op.i32Mul, ...op.i32Add])];
  const transform = [
    ...set('w', get('transform')),
    ...set('column', op.localGet(OUT)),
    ...whileLoop(below('w', 'transformEnd'), [
      ...set('acc', op.v128Zero),
      ...set('q', get('logMel')),
      ...whileLoop(below('q', 'logMelEnd'), [
        ...set('acc', add(get('acc'), mul(load(get('w')), load(get('q'))))),
        ...addTo('w', op.i32Const(VECTOR)),
        ...addTo('q', op.i32Const(VECTOR)),
      ]),
      ...[0, 1, 2, 3].flatMap((lane) => [...laneAddress(lane), ...get('acc'), ...op.f32x4ExtractLane(lane), ...op.f32Store(0)]),
      ...addTo('column', op.i32Const(4)),
    ]),
    ...op.localGet(OUT), ...get('rowBytes'), ...op.i32Const(2), ...op.i32Shl, ...op.i32Add, ...op.localSet(OUT),
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
  return { name: 'features', params: 4, locals: { i32: I32_LOCALS.length, v128: V128_LOCALS.length }, body };
}

/**
 * Kaldi's add-deltas over rows of base features (deltas.ts): for each order i, columns [i·rows, (i+1)·rows)
 * of row t are Σ_j scales[i][j] · base[t + j − centre], four columns a step (the last step may spill up to
 * three columns past the block, into the next order's block, written after it, or the row's padding).
 */
function deltaFunction(): WasmFunction {
  const [HEADER_, ROW, COUNT] = [0, 1, 2];
  const [ROW_BYTES, BASE_BYTES, ENTRY, TABLE_END, K, SOURCE, TAP, TAP_END] = [3, 4, 5, 6, 7, 8, 9, 10];
  const ACC = 11;
  const g = op.localGet;
  const s = (index: number, value: number[]) => [...value, ...op.localSet(index)];
  const inc = (index: number, amount: number[]) => s(index, [...g(index), ...amount, ...op.i32Add]);
  const lt = (a: number, b: number) => [...g(a), ...g(b), ...op.i32LtU];
  const entryField = (offset: number) => [...g(ENTRY), ...op.i32Load(offset)];
  const body = [
    ...s(ROW_BYTES, [...g(HEADER_), ...op.i32Load(H.rowBytes)]),
    ...s(BASE_BYTES, [...g(HEADER_), ...op.i32Load(H.baseBytes)]),
    ...s(TABLE_END, [...g(HEADER_), ...op.i32Load(H.deltaTableEnd)]),
    ...whileLoop(g(COUNT), [
      ...s(ENTRY, [...g(HEADER_), ...op.i32Load(H.deltaTable)]),
      ...whileLoop(lt(ENTRY, TABLE_END), [
        ...s(K, op.i32Const(0)),
        ...whileLoop(lt(K, BASE_BYTES), [
          ...s(ACC, op.v128Zero),
          ...s(SOURCE, [...g(ROW), ...entryField(8), ...op.i32Sub, ...g(K), ...op.i32Add]),
          ...s(TAP, entryField(0)), ...s(TAP_END, entryField(4)),
          ...whileLoop(lt(TAP, TAP_END), [
            ...s(ACC, [...g(ACC), ...g(TAP), ...op.v128Load(0), ...g(SOURCE), ...op.v128Load(0), ...op.f32x4Mul, ...op.f32x4Add]),
            ...inc(SOURCE, g(ROW_BYTES)),
            ...inc(TAP, op.i32Const(VECTOR)),
          ]),
          ...g(ROW), ...entryField(12), ...op.i32Add, ...g(K), ...op.i32Add, ...g(ACC), ...op.v128Store(0),
          ...inc(K, op.i32Const(VECTOR)),
        ]),
        ...inc(ENTRY, op.i32Const(VECTOR)),
      ]),
      ...inc(ROW, g(ROW_BYTES)),
      ...s(COUNT, [...g(COUNT), ...op.i32Const(1), ...op.i32Sub]),
    ]),
  ];
  return { name: 'deltas', params: 3, locals: { i32: 8, v128: 1 }, body };
}

/** Undefined where the engine lacks wasm SIMD. */
export function simdMelKernel(): MelKernel | undefined {
  return instantiate<MelKernel & Record<string, unknown>>([melFunction(), deltaFunction()]);
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
  const orders = plan.deltaScales?.slice(1) ?? [];
  const deltaTable = take(VECTOR * orders.length);
  const deltaTaps = take(VECTOR * orders.reduce((total, taps) => total + taps.length, 0));
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
    [H.transformEnd, transform + VECTOR * plan.rows * melBank.numBins], [H.rowBytes, rowBytes(plan)],
    [H.deltaTable, deltaTable], [H.deltaTableEnd, deltaTable + VECTOR * orders.length], [H.baseBytes, 4 * plan.rows],
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
  let tapAt = deltaTaps;
  orders.forEach((taps, index) => {
    const entry = deltaTable + VECTOR * index;
    int(entry, tapAt);
    int(entry + 4, tapAt + VECTOR * taps.length);
    int(entry + 8, ((taps.length - 1) / 2) * rowBytes(plan));
    int(entry + 12, 4 * plan.rows * (index + 1));
    taps.forEach((tap) => {
      splatAt(tapAt, tap);
      tapAt += VECTOR;
    });
  });

  heap.top = top;
  heap.plans.set(plan, header);
  return header;
}

/** A row holds [base | Δ | ΔΔ …] and four floats more, into which a four-column step may spill. */
function rowFloats(plan: MelPlan): number {
  return plan.rows * (plan.deltaScales?.length ?? 1) + LANES;
}
const rowBytes = (plan: MelPlan) => 4 * rowFloats(plan);

/**
 * Writes the features of frames 0 … frames−1 of `samples` (frame t starting at t·frameShift) into row t of
 * `into`, whose rows are `stride` values apart: the plan.rows base features (MFCCs, or log mel energies),
 * then with `withDeltas` their deltas (Kaldi's add-deltas, edge frames repeated). In chunks of CHUNK_FRAMES
 * frames, each computed with the frames its deltas reach on either side.
 */
export function kernelFeatures(
  kernel: MelKernel,
  plan: MelPlan,
  samples: Float32Array,
  frames: number,
  into: Float32Array,
  stride: number,
  withDeltas: boolean,
): void {
  const heap = kernelHeap(kernel);
  const header = placePlan(kernel, heap, plan);
  const { frameShift, frameLength, rows, deltaScales } = plan;
  const reach = withDeltas && deltaScales ? (deltaScales[deltaScales.length - 1].length - 1) / 2 : 0;
  const columns = withDeltas && deltaScales ? rows * deltaScales.length : rows;
  const floatsPerRow = rowFloats(plan);
  // Rows of one chunk: its frames, `reach` each side, and up to three more that a last block of four fills.
  const regionRows = CHUNK_FRAMES + 2 * reach + LANES - 1;
  const chunkSamples = (regionRows - 1) * frameShift + frameLength;
  const signal = heap.top;
  const region = alignTo16(signal + 4 * chunkSamples);
  ensureMemory(kernel.memory, region + 4 * floatsPerRow * regionRows);
  const floats = new Float32Array(kernel.memory.buffer);
  const signalIndex = signal >> 2;
  const regionIndex = region >> 2;
  for (let first = 0; first < frames; first += CHUNK_FRAMES) {
    const count = Math.min(CHUNK_FRAMES, frames - first);
    // Region row r holds frame first − reach + r.
    const rowOf = (frame: number) => regionIndex + (frame - first + reach) * floatsPerRow;
    const low = Math.max(0, first - reach);
    const high = Math.min(frames, first + count + reach);
    const blocks = Math.ceil((high - low) / LANES);
    // A last block's frames past the clip read zeros; their rows are written over or not copied out.
    const from = low * frameShift;
    const needed = (LANES * blocks - 1) * frameShift + frameLength;
    const present = Math.min(needed, samples.length - from);
    floats.set(samples.subarray(from, from + present), signalIndex);
    floats.fill(0, signalIndex + present, signalIndex + needed);
    kernel.features(header, signal, blocks, 4 * rowOf(low));
    // Frames beyond either end of the clip repeat its edge frame, as Kaldi's add-deltas does.
    for (let frame = first - reach; frame < low; frame++) floats.copyWithin(rowOf(frame), rowOf(0), rowOf(0) + rows);
    for (let frame = high; frame < first + count + reach; frame++) floats.copyWithin(rowOf(frame), rowOf(frames - 1), rowOf(frames - 1) + rows);
    if (columns > rows) kernel.deltas(header, 4 * rowOf(first), count);
    for (let t = 0; t < count; t++) into.set(floats.subarray(rowOf(first + t), rowOf(first + t) + columns), (first + t) * stride);
  }
}
