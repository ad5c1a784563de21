export { checkRedis, parseRedisUrl, type RedisTarget } from './connection.js';
export { DEFAULT_BATCH_LIMITS, type BatchLimits } from './batches.js';
export { queuePreprocessCorpus, type QueuePreprocessOptions } from './preprocess.js';
export { queuePredictFiles, type QueuePredictOptions, type QueuedPrediction } from './predict.js';
export { rateLimiter, startQueueWorker, type QueueWorker, type QueueWorkerOptions } from './worker.js';
export { PREDICT_QUEUE, PREPROCESS_QUEUE } from './payloads.js';
