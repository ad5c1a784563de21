/**
 * How far up in frequency recordings have content, to tell when the mel bank reaches into an empty band:
 * telephone audio (8 kHz, a 300–3400 Hz channel) upsampled to 16 kHz has nothing above 4 kHz, so the log
 * energies of the mel filters there are noise, and `--high-freq` should stop the bank below them.
 *
 * Computed: the mean power spectrum P(k) over 512-sample Hann-windowed frames, hop 256 (Welch's method);
 * the occupied band ends at the highest bin k with 10·log10(P(k) / max P) > −EMPTY_BAND_DB. A full-band
 * 16 kHz recording stays within 60 dB of its peak up to 7–8 kHz (even dither or a quiet room does);
 * the same speech through an 8 kHz telephone channel ends near 3.4–4 kHz.
 * Example: RAVDESS speech through a 300–3400 Hz channel at 8 kHz, back at 16 kHz: occupiedBandwidth = 3531 Hz;
 * melBinsAbove(default config, 3531) = 6 of 23; the 16 kHz shared corpora: 7.6–7.8 kHz, none above.
 */
import { resolveHighFreq, hzToMel } from './filterbank.js';
import type { FeatureConfig } from './config.js';
import { powerSpectrum, powerSpectrumPlan, spectrumBins } from './spectrum.js';

const FRAME = 512;
const HOP = 256;
/** A band this far below the spectrum's peak holds no signal, only noise or a resampler's stopband. */
export const EMPTY_BAND_DB = 60;

/** Hz up to which `samples` have content (see above); 0 for a clip shorter than one frame or silent. */
export function occupiedBandwidth(samples: Float32Array, sampleRate: number): number {
  const plan = powerSpectrumPlan(FRAME);
  const frame = new Float64Array(FRAME);
  const power = new Float64Array(spectrumBins(FRAME));
  const mean = new Float64Array(power.length);
  const window = Float64Array.from({ length: FRAME }, (_, n) => 0.5 - 0.5 * Math.cos((2 * Math.PI * n) / FRAME));
  for (let start = 0; start + FRAME <= samples.length; start += HOP) {
    for (let n = 0; n < FRAME; n++) frame[n] = samples[start + n] * window[n];
    powerSpectrum(plan, frame, power);
    for (let k = 0; k < power.length; k++) mean[k] += power[k];
  }
  const peak = mean.reduce((max, value) => Math.max(max, value), 0);
  if (peak === 0) return 0;
  const floor = peak * 10 ** (-EMPTY_BAND_DB / 10);
  let top = mean.length - 1;
  while (top > 0 && mean[top] <= floor) top--;
  return (top * sampleRate) / FRAME;
}

function melToHz(mel: number): number {
  return 700 * (Math.exp(mel / 1127) - 1);
}

/** How many of the configuration's mel filters are centred above `bandwidthHz`. */
export function melBinsAbove(config: FeatureConfig, bandwidthHz: number): number {
  const low = hzToMel(config.lowFreq);
  const step = (hzToMel(resolveHighFreq(config.highFreq, config.sampleRate)) - low) / (config.numMelBins + 1);
  let above = 0;
  for (let m = 1; m <= config.numMelBins; m++) if (melToHz(low + m * step) > bandwidthHz) above++;
  return above;
}

/**
 * A notice when recordings are narrower than the mel bank: `bandwidthsHz` are occupiedBandwidth() of a
 * sample of a corpus's files; the widest counts, so a corpus with some full-band files is not flagged.
 * Undefined when every mel filter is centred within the band.
 */
export function narrowBandNotice(config: FeatureConfig, bandwidthsHz: number[]): string | undefined {
  if (bandwidthsHz.length === 0) return undefined;
  const bandwidth = Math.max(...bandwidthsHz);
  const above = melBinsAbove(config, bandwidth);
  if (above === 0) return undefined;
  const bankTop = resolveHighFreq(config.highFreq, config.sampleRate);
  const suggestion = Math.floor(bandwidth / 100) * 100;
  return (
    `The audio reaches only about ${Math.round(bandwidth)} Hz (widest of ${bandwidthsHz.length} files checked, ` +
    `${EMPTY_BAND_DB} dB below its peak), but the mel bank goes up to ${bankTop} Hz: ${above} of its ${config.numMelBins} ` +
    `filters are centred above that and see only noise (telephone or upsampled audio?). --high-freq ${suggestion} limits the bank to the band.`
  );
}
