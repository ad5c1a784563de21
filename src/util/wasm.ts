/**
 * A WebAssembly module of one exported function and one exported memory, assembled from its opcodes in
 * TypeScript (no binary blob, no build step): what the SIMD kernels (audio/firKernel.ts,
 * features/spectrumKernel.ts) are written in. Only the parts of the binary format they use
 * (https://webassembly.github.io/spec/core/binary/): i32 and v128 locals, structured loops, i32/f32 memory
 * access and the f32x4 arithmetic of the fixed-width SIMD proposal (Node ≥ 16.4, current browsers).
 */

export const I32 = 0x7f;
export const V128 = 0x7b;
const EMPTY_BLOCK = 0x40;
/** Every access here is to 4-byte-aligned data: the alignment hint is log2(4). */
const ALIGN_4 = 2;

export function unsignedLeb(value: number): number[] {
  const bytes: number[] = [];
  do {
    let byte = value & 0x7f;
    value >>>= 7;
    if (value !== 0) byte |= 0x80;
    bytes.push(byte);
  } while (value !== 0);
  return bytes;
}

export function signedLeb(value: number): number[] {
  const bytes: number[] = [];
  for (;;) {
    const byte = value & 0x7f;
    value >>= 7;
    if ((value === 0 && (byte & 0x40) === 0) || (value === -1 && (byte & 0x40) !== 0)) return [...bytes, byte];
    bytes.push(byte | 0x80);
  }
}

/** Four copies of one 4-byte value, written by `write` (wasm is little-endian whatever the host). */
function littleEndianLanes(write: (view: DataView) => void): number[] {
  const view = new DataView(new ArrayBuffer(4));
  write(view);
  const bytes = [0, 1, 2, 3].map((index) => view.getUint8(index));
  return [...bytes, ...bytes, ...bytes, ...bytes];
}

const memarg = (offset: number) => [ALIGN_4, ...unsignedLeb(offset)];

export const op = {
  block: [0x02, EMPTY_BLOCK],
  loop: [0x03, EMPTY_BLOCK],
  if: [0x04, EMPTY_BLOCK],
  else: [0x05],
  end: [0x0b],
  br: (depth: number) => [0x0c, depth],
  brIf: (depth: number) => [0x0d, depth],
  localGet: (index: number) => [0x20, index],
  localSet: (index: number) => [0x21, index],
  localTee: (index: number) => [0x22, index],
  i32Load: (offset: number) => [0x28, ...memarg(offset)],
  f32Load: (offset: number) => [0x2a, ...memarg(offset)],
  f32Store: (offset: number) => [0x38, ...memarg(offset)],
  i32Const: (value: number) => [0x41, ...signedLeb(value)],
  i32Eqz: [0x45],
  i32Eq: [0x46],
  i32LtU: [0x49],
  i32GeU: [0x4f],
  i32Add: [0x6a],
  i32Sub: [0x6b],
  i32Mul: [0x6c],
  i32Shl: [0x74],
  i32ShrU: [0x76],
  f32Add: [0x92],
  v128Load: (offset: number) => [0xfd, 0x00, ...memarg(offset)],
  v128Store: (offset: number) => [0xfd, 0x0b, ...memarg(offset)],
  v128Zero: [0xfd, 0x0c, ...new Array<number>(16).fill(0)],
  f32x4Const: (value: number) => [0xfd, 0x0c, ...littleEndianLanes((view) => view.setFloat32(0, value, true))],
  i32x4Const: (value: number) => [0xfd, 0x0c, ...littleEndianLanes((view) => view.setInt32(0, value, true))],
  f32x4Gt: [0xfd, 0x44],
  v128And: [0xfd, 0x4e],
  v128Or: [0xfd, 0x50],
  v128Bitselect: [0xfd, 0x52],
  i32x4ExtaddPairwiseI16x8S: [0xfd, 0x7e],
  i32x4ExtendLowI16x8S: [0xfd, 0xa7, 0x01],
  i32x4ExtendHighI16x8S: [0xfd, 0xa8, 0x01],
  i32x4ShrU: [0xfd, 0xad, 0x01],
  i32x4Sub: [0xfd, 0xb1, 0x01],
  f32x4ConvertI32x4S: [0xfd, 0xfa, 0x01],
  f32x4Div: [0xfd, 0xe7, 0x01],
  f32x4Max: [0xfd, 0xe9, 0x01],
  f32x4Splat: [0xfd, 0x13],
  f32x4ExtractLane: (lane: number) => [0xfd, 0x1f, lane],
  f32x4ReplaceLane: (lane: number) => [0xfd, 0x20, lane],
  f32x4Add: [0xfd, 0xe4, 0x01],
  f32x4Sub: [0xfd, 0xe5, 0x01],
  f32x4Mul: [0xfd, 0xe6, 0x01],
};

function vector(items: number[][]): number[] {
  return [...unsignedLeb(items.length), ...items.flat()];
}

function section(id: number, contents: number[]): number[] {
  return [id, ...unsignedLeb(contents.length), ...contents];
}

function name(text: string): number[] {
  return vector([...text].map((character) => [character.charCodeAt(0)]));
}

/**
 * `while (condition) { body }`: `condition` leaves an i32 on the stack, non-zero to run the body once more.
 * Branch depths inside `body` count from the loop (0 = continue, 1 = break).
 */
export function whileLoop(condition: number[], body: number[]): number[] {
  return [...op.block, ...op.loop, ...condition, ...op.i32Eqz, ...op.brIf(1), ...body, ...op.br(0), ...op.end, ...op.end];
}

export interface WasmFunction {
  /** The exported name. */
  name: string;
  /** Count of i32 parameters (the only parameter type used); they take local indices 0 … params−1. */
  params: number;
  /** Further locals, in order, after the parameters. */
  locals: { i32: number; v128: number };
  body: number[];
}

/** The module: each function (no results) exported under its name, in a type of its own, and a memory of one page exported as `memory`. */
export function wasmModuleBytes(functions: WasmFunction[]): Uint8Array<ArrayBuffer> {
  const bodies = functions.map((fn) => {
    const locals = vector([[...unsignedLeb(fn.locals.i32), I32], [...unsignedLeb(fn.locals.v128), V128]]);
    const functionBody = [...locals, ...fn.body, ...op.end];
    return [...unsignedLeb(functionBody.length), ...functionBody];
  });
  return Uint8Array.from([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, vector(functions.map((fn) => [0x60, ...vector(new Array<number[]>(fn.params).fill([I32])), ...vector([])]))),
    ...section(3, vector(functions.map((_, index) => unsignedLeb(index)))),
    ...section(5, vector([[0x00, 1]])),
    ...section(7, vector([...functions.map((fn, index) => [...name(fn.name), 0x00, ...unsignedLeb(index)]), [...name('memory'), 0x02, 0]])),
    ...section(10, vector(bodies)),
  ]);
}

/** The module's functions by name and its memory, or undefined where the engine lacks WebAssembly or its SIMD. */
export function instantiate<F extends Record<string, unknown>>(functions: WasmFunction[]): (F & { memory: WebAssembly.Memory }) | undefined {
  if (typeof WebAssembly === 'undefined') return undefined;
  const bytes = wasmModuleBytes(functions);
  if (!WebAssembly.validate(bytes)) return undefined;
  return new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports as F & { memory: WebAssembly.Memory };
}

/** Grows `memory` to hold at least `bytes`. */
export function ensureMemory(memory: WebAssembly.Memory, bytes: number): void {
  const missing = bytes - memory.buffer.byteLength;
  if (missing > 0) memory.grow(Math.ceil(missing / 65536));
}

export const alignTo16 = (bytes: number): number => Math.ceil(bytes / 16) * 16;
