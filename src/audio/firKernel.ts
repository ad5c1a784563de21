/**
 * The inner loop of every resampling stage, as a WebAssembly SIMD function assembled here from its opcodes
 * (no binary blob, no build step), with a scalar TypeScript twin for engines without wasm SIMD.
 *
 * Computed: for outputs o = 0 … periods·P − 1, with period entry p = o mod P and period number q = ⌊o / P⌋,
 *   output[o] = Σ_{t < taps} coefficients[row[p] · taps + t] · input[q · advance + offset[p] + t]
 * where (offset[p], row[p]) is the period table of a rational L/M polyphase filter: P = L outputs use each
 * filter phase once while the input moves on by advance = M samples. The outputs are computed phase by
 * phase (every period's output of entry 0, then of entry 1, …), so that a row of coefficients is read from
 * the cache `periods` times in a row: with 320 phases (22.05 → 16 kHz) the rows fill 185 KB, which taken in
 * output order came from the second-level cache at every output. The SIMD loop multiplies four taps per
 * instruction into four independent f32x4 accumulators (so no addition waits on the one before: 1.6×
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
  /** Byte addresses and counts as in the module comment; computes periods · periodLength outputs (periods ≥ 1). */
  run(input: number, table: number, periodLength: number, advanceBytes: number, tapBytes: number, output: number, periods: number): void;
}

export const TAP_MULTIPLE = 16;

// Parameters 0–6, then locals.
const [INPUT, TABLE, PERIOD_LENGTH, ADVANCE, TAP_BYTES, OUTPUT, PERIODS] = [0, 1, 2, 3, 4, 5, 6];
const [ENTRY, TABLE_END, X, C, C_END, OUT, LEFT, ROW, X_BASE, OUT_STRIDE] = [7, 8, 9, 10, 11, 12, 13, 14, 15, 16];
const ACCUMULATORS = [17, 18, 19, 20];
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
    // tableEnd = table + 8 · periodLength; entry = table; outStride = 4 · periodLength
    ...op.localGet(TABLE), ...op.localGet(PERIOD_LENGTH), ...op.i32Const(3), ...op.i32Shl, ...op.i32Add, ...op.localSet(TABLE_END),
    ...op.localGet(PERIOD_LENGTH), ...op.i32Const(2), ...op.i32Shl, ...op.localSet(OUT_STRIDE),
    ...op.localGet(TABLE), ...op.localSet(ENTRY),
    ...op.loop,
    // xBase = input + entry.offset; row = entry.row; out = output + 4 · (entry index); left = periods
    ...op.localGet(INPUT), ...op.localGet(ENTRY), ...op.i32Load(0), ...op.i32Add, ...op.localSet(X_BASE),
    ...op.localGet(ENTRY), ...op.i32Load(4), ...op.localSet(ROW),
    ...op.localGet(OUTPUT), ...op.localGet(ENTRY), ...op.localGet(TABLE), ...op.i32Sub, ...op.i32Const(1), ...op.i32ShrU, ...op.i32Add, ...op.localSet(OUT),
    ...op.localGet(PERIODS), ...op.localSet(LEFT),
    ...op.loop,
    // x = xBase; c = row; cEnd = c + tapBytes
    ...op.localGet(X_BASE), ...op.localSet(X),
    ...op.localGet(ROW), ...op.localTee(C), ...op.localGet(TAP_BYTES), ...op.i32Add, ...op.localSet(C_END),
    ...ACCUMULATORS.flatMap((accumulator) => [...op.v128Zero, ...op.localSet(accumulator)]),
    ...op.loop,
    ...ACCUMULATORS.flatMap((accumulator, index) => accumulate(accumulator, 16 * index)),
    ...op.localGet(X), ...op.i32Const(STEP_BYTES), ...op.i32Add, ...op.localSet(X),
    ...op.localGet(C), ...op.i32Const(STEP_BYTES), ...op.i32Add, ...op.localTee(C), ...op.localGet(C_END), ...op.i32LtU, ...op.brIf(0),
    ...op.end,
    // *out = horizontal sum of the accumulators' sum
    ...op.localGet(OUT),
    ...op.localGet(ACC0), ...ACCUMULATORS.slice(1).flatMap((accumulator) => [...op.localGet(accumulator), ...op.f32x4Add]),
    ...op.localTee(ACC0), ...op.f32x4ExtractLane(0),
    ...op.localGet(ACC0), ...op.f32x4ExtractLane(1), ...op.f32Add,
    ...op.localGet(ACC0), ...op.f32x4ExtractLane(2), ...op.f32Add,
    ...op.localGet(ACC0), ...op.f32x4ExtractLane(3), ...op.f32Add,
    ...op.f32Store(0),
    // the same phase one period on: the input moves on by advance, the output by periodLength
    ...op.localGet(OUT), ...op.localGet(OUT_STRIDE), ...op.i32Add, ...op.localSet(OUT),
    ...op.localGet(X_BASE), ...op.localGet(ADVANCE), ...op.i32Add, ...op.localSet(X_BASE),
    ...op.localGet(LEFT), ...op.i32Const(1), ...op.i32Sub, ...op.localTee(LEFT), ...op.brIf(0),
    ...op.end,
    // next table entry
    ...op.localGet(ENTRY), ...op.i32Const(8), ...op.i32Add, ...op.localTee(ENTRY), ...op.localGet(TABLE_END), ...op.i32LtU, ...op.brIf(0),
    ...op.end,
  ];
  return { name: 'fir', params: 7, locals: { i32: 10, v128: ACCUMULATORS.length }, body };
}

/** Undefined where the engine lacks wasm SIMD. */
export function simdKernel(): FirKernel | undefined {
  const module = instantiate<{ fir: FirKernel['run'] }>([firFunction()]);
  return module && { kind: 'simd', memory: module.memory, run: module.fir };
}

export function scalarKernel(): FirKernel {
  const memory = new WebAssembly.Memory({ initial: 1 });
  const run: FirKernel['run'] = (input, table, periodLength, advanceBytes, tapBytes, output, periods) => {
    // Views taken per call: growing the memory detaches older ones.
    const floats = new Float32Array(memory.buffer);
    const ints = new Int32Array(memory.buffer);
    const taps = tapBytes >> 2;
    for (let entry = 0; entry < periodLength; entry++) {
      const c = ints[(table >> 2) + 2 * entry + 1] >> 2;
      let x = (input >> 2) + (ints[(table >> 2) + 2 * entry] >> 2);
      for (let out = (output >> 2) + entry, q = 0; q < periods; q++, out += periodLength, x += advanceBytes >> 2) {
        let sum0 = 0;
        let sum1 = 0;
        for (let tap = 0; tap < taps; tap += 2) {
          sum0 += floats[c + tap] * floats[x + tap];
          sum1 += floats[c + tap + 1] * floats[x + tap + 1];
        }
        floats[out] = sum0 + sum1;
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
