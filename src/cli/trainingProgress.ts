import type { EpochReport } from '../train/trainer.js';

/** Steps of the running epoch as a bar (or nothing when stderr is a log), then one line per epoch. */
export function trainingProgress(label: string, stream: NodeJS.WriteStream = process.stderr) {
  let epochStarted = Date.now();
  return {
    onStep(step: number, stepsPerEpoch: number, epoch: number): void {
      if (step === 1) epochStarted = Date.now();
      if (!stream.isTTY) return;
      const width = 20;
      const filled = Math.round((width * step) / stepsPerEpoch);
      const rate = (step / Math.max(1e-3, (Date.now() - epochStarted) / 1000)).toFixed(1);
      stream.write(`\r${label} epoch ${epoch} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${step}/${stepsPerEpoch} batches ${rate}/s\x1b[K`);
    },
    onEpoch(report: EpochReport): void {
      const parts = [
        `${label} epoch ${report.epoch}/${report.epochs}`,
        `loss ${report.loss.toFixed(4)}`,
        report.alignmentLoss !== null ? `alignment ${report.alignmentLoss.toFixed(4)}` : '',
        ...Object.entries(report.alignmentMetrics ?? {}).map(([name, value]) => `${name} ${value.toFixed(3)}`),
        report.validationUar !== null ? `validation UAR ${(100 * report.validationUar).toFixed(1)}%${report.best ? ' (best)' : ''}` : '',
        `${report.seconds.toFixed(1)} s`,
      ];
      const line = parts.filter(Boolean).join('  ');
      stream.write(stream.isTTY ? `\r${line}\x1b[K\n` : `${line}\n`);
    },
  };
}
