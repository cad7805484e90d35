/**
 * Evaluation metrics over a whole split (never a mean of batch means). Glossary:
 *  - accuracy: mean of 1[r+ > r-] + 1/2 * 1[r+ = r-] (ties count one half; an untrained IM-RM scores 0.5);
 *  - tieRate: fraction of pairs with r+ = r- exactly;
 *  - normalizedMargin: mean |r+ - r-| / (std of all 2n rewards + 1e-8), std with n - 1 in the denominator
 *    (torch.std, as the paper's code);
 *  - loss: the Bradley-Terry loss on the split; meanChosen / meanRejected: mean rewards.
 */
import * as tf from '@tensorflow/tfjs';
import { bradleyTerryLoss } from './loss';

export interface PreferenceMetrics {
  n: number;
  accuracy: number;
  tieRate: number;
  normalizedMargin: number;
  loss: number;
  meanChosen: number;
  meanRejected: number;
  rewardStd: number;
}

export const METRIC_NAMES = ['accuracy', 'tieRate', 'normalizedMargin', 'loss', 'meanChosen', 'meanRejected'] as const;

export function sampleStd(values: ArrayLike<number>): number {
  const n = values.length;
  if (n < 2) return 0;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += values[i];
  mean /= n;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (values[i] - mean) ** 2;
  return Math.sqrt(ss / (n - 1));
}

/** The split's Bradley-Terry loss (float32, on the backend), as its metrics report it. */
function splitLoss(chosen: ArrayLike<number>, rejected: ArrayLike<number>): tf.Scalar {
  return tf.tidy(() => bradleyTerryLoss(tf.tensor1d(Array.from(chosen)), tf.tensor1d(Array.from(rejected))));
}

/** The metrics of a split (a synchronous read: the CPU engines; `preferenceMetricsAsync` on every backend). */
export function preferenceMetrics(chosen: ArrayLike<number>, rejected: ArrayLike<number>): PreferenceMetrics {
  checkPairs(chosen, rejected);
  const loss = splitLoss(chosen, rejected);
  const value = loss.dataSync()[0];
  loss.dispose();
  return metricsWithLoss(chosen, rejected, value);
}

/** The same numbers as `preferenceMetrics`, read asynchronously (WebGPU cannot read synchronously). */
export async function preferenceMetricsAsync(chosen: ArrayLike<number>, rejected: ArrayLike<number>): Promise<PreferenceMetrics> {
  checkPairs(chosen, rejected);
  const loss = splitLoss(chosen, rejected);
  const value = (await loss.data())[0];
  loss.dispose();
  return metricsWithLoss(chosen, rejected, value);
}

function checkPairs(chosen: ArrayLike<number>, rejected: ArrayLike<number>): void {
  const n = chosen.length;
  if (n === 0 || rejected.length !== n) {
    throw new Error(`preferenceMetrics: need equally many chosen and rejected rewards (got ${n} and ${rejected.length})`);
  }
}

function metricsWithLoss(chosen: ArrayLike<number>, rejected: ArrayLike<number>, loss: number): PreferenceMetrics {
  const n = chosen.length;
  let wins = 0;
  let ties = 0;
  let absMargin = 0;
  let sumChosen = 0;
  let sumRejected = 0;
  const all: number[] = [];
  for (let i = 0; i < n; i++) {
    const d = chosen[i] - rejected[i];
    if (d > 0) wins++;
    else if (d === 0) ties++;
    absMargin += Math.abs(d);
    sumChosen += chosen[i];
    sumRejected += rejected[i];
    all.push(chosen[i], rejected[i]);
  }
  const rewardStd = sampleStd(all);
  return {
    n,
    accuracy: (wins + ties / 2) / n,
    tieRate: ties / n,
    normalizedMargin: absMargin / n / (rewardStd + 1e-8),
    loss,
    meanChosen: sumChosen / n,
    meanRejected: sumRejected / n,
    rewardStd,
  };
}
