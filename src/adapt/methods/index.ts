import type { AdaptationMethod } from '../options.js';
import type { AdaptationStrategy } from '../strategy.js';
import { adabn } from './adabn.js';
import { adabnBalanced } from './adabnBalanced.js';
import { coral } from './coral.js';
import { dann } from './dann.js';
import { mmd } from './mmd.js';
import { none } from './none.js';
import { selftrain } from './selftrain.js';

export const ADAPTATION_STRATEGIES: Record<AdaptationMethod, AdaptationStrategy> = { none, adabn, 'adabn-balanced': adabnBalanced, selftrain, dann, mmd, coral };
