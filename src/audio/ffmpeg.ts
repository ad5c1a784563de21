import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { Writable } from 'node:stream';
import { AudioError } from './errors.js';
import { AUDIO_LIMITS, assertBearableDuration } from './limits.js';

const INSTALL_HINT =
  'install it (apt-get install ffmpeg, or brew install ffmpeg) or set FFMPEG_PATH to the ffmpeg binary';
const FLOAT32_BYTES = 4;

async function isExecutableFile(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/**
 * The ffmpeg binary: FFMPEG_PATH when set, else the first `ffmpeg` on PATH. Resolved here rather than by
 * fluent-ffmpeg, which silently ignores a wrong FFMPEG_PATH and caches its first answer for the process.
 */
async function locateFfmpeg(file: string): Promise<string> {
  const configured = process.env.FFMPEG_PATH;
  if (configured) {
    if (await isExecutableFile(configured)) return configured;
    throw new AudioError(
      file,
      `decoding it needs ffmpeg, but FFMPEG_PATH=${configured} is not an executable file; point FFMPEG_PATH ` +
        'at the ffmpeg binary, or unset it to use the ffmpeg on PATH',
    );
  }
  const executableName = process.platform === 'win32' ? 'ffmpeg.exe' : 'ffmpeg';
  for (const directory of (process.env.PATH ?? '').split(delimiter)) {
    if (!directory) continue;
    const candidate = join(directory, executableName);
    if (await isExecutableFile(candidate)) return candidate;
  }
  throw new AudioError(file, `decoding it needs ffmpeg, which is not installed (not found on PATH); ${INSTALL_HINT}`);
}

/** An AudioError carrying ffmpeg's last line of complaint, without the input name it repeats. */
function ffmpegFailure(file: string, input: string, error: Error): AudioError {
  const lines = error.message.split('\n').map((line) => line.trim()).filter(Boolean);
  const complaint = (lines.at(-1) ?? error.message).replace(/^ffmpeg exited with code \d+:\s*/, '');
  if (complaint.includes('does not contain any stream')) {
    return new AudioError(file, 'has no audio stream; check that it is an audio file');
  }
  const explanation = complaint.startsWith(`${input}: `) ? complaint.slice(input.length + 2) : complaint;
  return new AudioError(file, `ffmpeg cannot decode it as audio (${explanation}); check that it is an audio file`);
}

/** Decodes any format ffmpeg knows to mono 32-bit float samples at `sampleRate`, streamed over a pipe. */
export async function decodeWithFfmpeg(file: string, sampleRate: number): Promise<Float32Array> {
  const binary = await locateFfmpeg(file);
  // Loaded on first use: WAV corpora never need it, and each preprocessing worker would pay for the import.
  const { default: ffmpeg } = await import('fluent-ffmpeg');
  const chunks: Buffer[] = [];
  // ffmpeg's output is capped at AUDIO_LIMITS.maxSeconds: past it the decoder is stopped, not waited for.
  const maxBytes = AUDIO_LIMITS.maxSeconds * sampleRate * FLOAT32_BYTES;
  let received = 0;
  let stopAtLimit = (): void => {};
  const collector = new Writable({
    write(chunk: Buffer, _encoding, done) {
      received += chunk.length;
      if (received > maxBytes) stopAtLimit();
      else chunks.push(chunk);
      done();
    },
    // fluent-ffmpeg treats an output stream's 'close' as an early abort and may report a spurious error.
    emitClose: false,
  });
  const collected = new Promise<void>((resolve) => collector.on('finish', resolve));
  // Without the explicit protocol ffmpeg reads "take:1.wav" as protocol "take" and "data:…" as inline data.
  const input = `file:${file}`;
  const finished = new Promise<void>((resolve, reject) => {
    const command = ffmpeg(input)
      .setFfmpegPath(binary)
      .noVideo()
      .audioChannels(1)
      // ffmpeg's default downmix adds channels at −3 dB each, so stereo reaches +3 dBFS; capping the mix
      // matrix at unit gain makes it the average of the channels, as the WAV reader does.
      .outputOptions('-rematrix_maxval', '1')
      .audioFrequency(sampleRate)
      .audioCodec('pcm_f32le')
      .format('f32le')
      .on('error', (error: Error) => reject(ffmpegFailure(file, input, error)))
      .on('end', () => resolve());
    stopAtLimit = () => {
      stopAtLimit = () => {};
      try {
        assertBearableDuration(received / FLOAT32_BYTES / sampleRate, file);
      } catch (error) {
        reject(error);
      }
      command.kill('SIGKILL');
    };
    command.pipe(collector, { end: true });
  });
  await Promise.all([finished, collected]);

  const bytes = Buffer.concat(chunks);
  if (bytes.length % FLOAT32_BYTES !== 0) {
    throw new AudioError(file, `ffmpeg returned ${bytes.length} bytes, not whole 32-bit samples; re-export the file`);
  }
  // Copied into a fresh buffer: the concatenated one may start at an offset a Float32Array cannot view.
  // Viewing f32le natively is safe because every platform Node supports is little-endian.
  const samples = new Float32Array(bytes.length / FLOAT32_BYTES);
  new Uint8Array(samples.buffer).set(bytes);
  return samples;
}
