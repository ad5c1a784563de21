/**
 * The inner loop of every resampling stage, as a WebAssembly SIMD function assembled here from its opcodes
 * (no binary blob, no build step), with a scalar TypeScript twin for engines without wasm SIMD.
 *
 * Computed: for outputs o = 0 … count−1, with period entry p = o mod P and period number q = ⌊o / P⌋,
 *   output[o] = Σ_{t < taps} coefficients[row[p] · taps + t] · input[q · advance + offset[p] + t]
 * where (offset[p], row[p]) is the period table of a rational L/M polyphase filter: P = L outputs use each
 * filter phase once while the input moves on by advance = M samples. The SIMD loop multiplies four taps
 * per instruction into four independent f32x4 accumulators (so no addition waits on the one before: 1.6×
 * faster than two on 48 → 16 kHz), so taps must be a multiple of 16.
 *
 * Both kernels work in one WebAssembly.Memory (the "heap"), addressed in bytes: the caller places the
 * coefficients, the period table (pairs of int32: input offset in bytes, absolute coefficient row address),
 * the input and the output there. Example: 48 → 16 kHz is L/M = 1/3, one table entry, advance 3 samples.
 */

import { instantiate, op, type WasmFunction } from '../util/wasm.js';

export interface FirKernel {
  /** 'simd' (wasm f32x4) or 'scalar' (TypeScript, same heap layout). */
  kind: 'simd' | 'scalar';
  memory: WebAssembly.Memory;
  /** Byte addresses and counts as in the module comment; outputEnd is the first byte past the last output. */
  run(input: number, table: number, periodLength: number, advanceBytes: number, tapBytes: number, output: number, outputEnd: number): void;
}

export const TAP_MULTIPLE = 16;

// Parameters 0–6, then locals.
const [INPUT, TABLE, PERIOD_LENGTH, ADVANCE, TAP_BYTES, OUTPUT, OUTPUT_END] = [0, 1, 2, 3, 4, 5, 6];
const [ENTRY, TABLE_END, X, C, C_END] = [7, 8, 9, 10, 11];
const ACCUMULATORS = [12, 13, 14, 15];
const [ACC0] = ACCUMULATORS;
const STEP_BYTES = 16 * ACCUMULATORS.length;

function firFunction(): WasmFunction {
  const accumulate = (accumulator: number, offset: number) => [
    ...op.localGet(accumulator),
    ...op.localGet(X), ...op.v128Load(offset),
    ...op.localGet(C), ...op.v128Load(offset),
    ...op.f32x4Mul, ...op.f32x4Add, ...op.localSet(accumulator),
  ];
  const body = [
    // tableEnd = table + 8 · periodLength; entry = table
    ...op.localGet(TABLE), ...op.localGet(PERIOD_LENGTH), ...op.i32Const(3), ...op.i32Shl, ...op.i32Add, ...op.localSet(TABLE_END),
    ...op.localGet(TABLE), ...op.localSet(ENTRY),
    ...op.loop,
    // x = input + entry.offset; c = entry.row; cEnd = c + tapBytes
    ...op.localGet(INPUT), ...op.localGet(ENTRY), ...op.i32Load(0), ...op.i32Add, ...op.localSet(X),
    ...op.localGet(ENTRY), ...op.i32Load(4), ...op.localTee(C), ...op.localGet(TAP_BYTES), ...op.i32Add, ...op.localSet(C_END),
    ...ACCUMULATORS.flatMap((accumulator) => [...op.v128Zero, ...op.localSet(accumulator)]),
    ...op.loop,
    ...ACCUMULATORS.flatMap((accumulator, index) => accumulate(accumulator, 16 * index)),
    ...op.localGet(X), ...op.i32Const(STEP_BYTES), ...op.i32Add, ...op.localSet(X),
    ...op.localGet(C), ...op.i32Const(STEP_BYTES), ...op.i32Add, ...op.localTee(C), ...op.localGet(C_END), ...op.i32LtU, ...op.brIf(0),
    ...op.end,
    // *output = horizontal sum of the accumulators' sum
    ...op.localGet(OUTPUT),
    ...op.localGet(ACC0), ...ACCUMULATORS.slice(1).flatMap((accumulator) => [...op.localGet(accumulator), ...op.f32x4Add]),
    ...op.localTee(ACC0), ...op.f32x4ExtractLane(0),
    ...op.localGet(ACC0), ...op.f32x4ExtractLane(1), ...op.f32Add,
    ...op.localGet(ACC0), ...op.f32x4ExtractLane(2), ...op.f32Add,
    ...op.localGet(ACC0), ...op.f32x4ExtractLane(3), ...op.f32Add,
    ...op.f32Store(0),
    // next table entry; past the last one, back to the first and the input moves on by one period
    ...op.localGet(ENTRY), ...op.i32Const(8), ...op.i32Add, ...op.localTee(ENTRY), ...op.localGet(TABLE_END), ...op.i32Eq,
    ...op.if,
    ...op.localGet(TABLE), ...op.localSet(ENTRY),
    ...op.localGet(INPUT), ...op.localGet(ADVANCE), ...op.i32Add, ...op.localSet(INPUT),
    ...op.end,
    ...op.localGet(OUTPUT), ...op.i32Const(4), ...op.i32Add, ...op.localTee(OUTPUT), ...op.localGet(OUTPUT_END), ...op.i32LtU, ...op.brIf(0),
    ...op.end,
  ];
  return { name: 'fir', params: 7, locals: { i32: 5, v128: ACCUMULATORS.length }, body };
}

/** Undefined where the engine lacks wasm SIMD. */
export function simdKernel(): FirKernel | undefined {
  const module = instantiate<FirKernel['run']>(firFunction());
  return module && { kind: 'simd', memory: module.memory, run: module.run };
}

export function scalarKernel(): FirKernel {
  const memory = new WebAssembly.Memory({ initial: 1 });
  const run: FirKernel['run'] = (input, table, periodLength, advanceBytes, tapBytes, output, outputEnd) => {
    // Views taken per call: growing the memory detaches older ones.
    const floats = new Float32Array(memory.buffer);
    const ints = new Int32Array(memory.buffer);
    const taps = tapBytes >> 2;
    let entry = 0;
    let base = input >> 2;
    for (let out = output >> 2; out < outputEnd >> 2; out++) {
      const x = base + (ints[(table >> 2) + 2 * entry] >> 2);
      const c = ints[(table >> 2) + 2 * entry + 1] >> 2;
      let sum0 = 0;
      let sum1 = 0;
      for (let tap = 0; tap < taps; tap += 2) {
        sum0 += floats[c + tap] * floats[x + tap];
        sum1 += floats[c + tap + 1] * floats[x + tap + 1];
      }
      floats[out] = sum0 + sum1;
      if (++entry === periodLength) {
        entry = 0;
        base += advanceBytes >> 2;
      }
    }
  };
  return { kind: 'scalar', memory, run };
}

let defaultKernel: FirKernel | undefined;

/** The wasm SIMD kernel where the engine validates it (Node ≥ 16.4, current browsers), else the scalar one. */
export function firKernel(): FirKernel {
  defaultKernel ??= simdKernel() ?? scalarKernel();
  return defaultKernel;
}
