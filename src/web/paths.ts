import { join } from 'node:path';
import { PACKAGE_ROOT } from '../util/version.js';

/** Where `npm run build` writes the page and where `ser web` serves it from (the package ships it built). */
export const DEFAULT_PAGE_DIR = join(PACKAGE_ROOT, 'dist/web');
