import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The folder name of the model shipped in the package's models/ (made by `npm run release:model`). */
export const SHIPPED_MODEL_NAME = 'multilingual-4class';

/**
 * The shipped model's folder wherever the package runs from (sources in src/model, compiled code in
 * dist/src/model), or null when this copy of the package has none.
 */
export function shippedModelDir(): string | null {
  for (const relative of [`../../models/${SHIPPED_MODEL_NAME}`, `../../../models/${SHIPPED_MODEL_NAME}`]) {
    const dir = fileURLToPath(new URL(relative, import.meta.url));
    if (existsSync(`${dir}/card.json`)) return dir;
  }
  return null;
}

/** The model folder to use: the one given, else the shipped one, else an error saying how to get one. */
export function modelDirOrShipped(given: string | undefined): string {
  if (given !== undefined) return given;
  const shipped = shippedModelDir();
  if (!shipped) throw new Error(`no --model given and this copy of ser has no models/${SHIPPED_MODEL_NAME}/; train one with \`ser train\` or rebuild it with \`npm run release:model\``);
  return shipped;
}
