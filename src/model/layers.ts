import * as tf from '@tensorflow/tfjs';

/**
 * Utterance functionals over time: [batch, time, channels] -> [batch, (2 + P) * channels], the mean and the
 * standard deviation of each channel, then (optionally) P percentiles of it, as the classical baseline of
 * ../shared/BENCHMARK.md takes them (mean, std, 10/50/90th percentiles of MFCC + Δ + ΔΔ).
 *
 * Percentile q of T frames is numpy's default (linear interpolation between order statistics): with x₍₀₎ ≤ … ≤ x₍T−1₎
 * the sorted values and h = q·(T − 1), P_q = x₍⌊h⌋₎ + (h − ⌊h⌋)·(x₍⌈h⌉₎ − x₍⌊h⌋₎). Example: frames 0, 1, …, 10 of one
 * channel give P_0.1 = 1, P_0.5 = 5, P_0.9 = 9; frames 0, 10 give P_0.1 = 1. The sort is `tf.topk`, which has no
 * gradient: percentiles are for pooling the model's input, which nothing upstream learns (see emotionModel.ts).
 * Output layout: [mean (C) | std (C) | P_q1 (C) | … | P_qP (C)]. Any number of frames works, so one model serves
 * 1 s words and 10 s recordings alike.
 */
export class StatsPooling extends tf.layers.Layer {
  static readonly className = 'SerStatsPooling';
  private readonly epsilon: number;
  private readonly percentiles: number[];

  constructor(config: { epsilon?: number; percentiles?: number[]; name?: string } = {}) {
    super(config);
    this.epsilon = config.epsilon ?? 1e-5;
    this.percentiles = [...(config.percentiles ?? [])];
    const outOfRange = this.percentiles.filter((q) => !(q >= 0 && q <= 1));
    if (outOfRange.length > 0) throw new Error(`StatsPooling: percentiles must be fractions in [0, 1], got ${outOfRange.join(', ')}`);
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const shape = inputShape as tf.Shape;
    const channels = shape[2];
    return [shape[0], channels == null ? null : (2 + this.percentiles.length) * channels];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor3D;
      const { mean, variance } = tf.moments(x, 1);
      const std = tf.sqrt(tf.add(variance, this.epsilon));
      return tf.concat([mean, std, ...this.percentilesOverTime(x)], 1);
    });
  }

  /** P_q per channel for each q, [batch, channels] each (the formula above). */
  private percentilesOverTime(x: tf.Tensor3D): tf.Tensor[] {
    if (this.percentiles.length === 0) return [];
    const [batch, frames, channels] = x.shape;
    // Descending along time: the ascending order statistic x₍i₎ sits at index T − 1 − i.
    const descending = tf.topk(tf.transpose(x, [0, 2, 1]), frames, true).values;
    const orderStatistic = (i: number) => tf.reshape(tf.slice(descending, [0, 0, frames - 1 - i], [batch, channels, 1]), [batch, channels]);
    return this.percentiles.map((q) => {
      const h = q * (frames - 1);
      const below = Math.floor(h);
      const above = Math.ceil(h);
      const low = orderStatistic(below);
      return above === below ? low : tf.add(low, tf.mul(h - below, tf.sub(orderStatistic(above), low)));
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    // Written only when set, so a model without percentiles serialises exactly as before they existed.
    return { ...super.getConfig(), epsilon: this.epsilon, ...(this.percentiles.length > 0 ? { percentiles: [...this.percentiles] } : {}) };
  }
}

tf.serialization.registerClass(StatsPooling);
