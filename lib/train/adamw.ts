/**
 * AdamW (decoupled weight decay, Loshchilov & Hutter) over named variables, with bias correction.
 * Its state (m, v, step) is exported for exact resume. Defaults: the paper's (weight decay 0).
 *   m <- b1 m + (1 - b1) g;  v <- b2 v + (1 - b2) g^2
 *   p <- p - lr * ( m / (1 - b1^t) / (sqrt(v / (1 - b2^t)) + eps) + wd * p )
 */
import * as tf from '@tensorflow/tfjs';
import { nativeAdamW } from '../native/openblas';

export interface AdamWConfig {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
}

export const DEFAULT_ADAMW: AdamWConfig = { lr: 1e-6, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 };

export class AdamW {
  step = 0;
  private readonly m: Record<string, tf.Variable> = {};
  private readonly v: Record<string, tf.Variable> = {};

  constructor(
    private readonly vars: Record<string, tf.Variable>,
    readonly config: AdamWConfig = DEFAULT_ADAMW,
  ) {
    for (const [name, p] of Object.entries(vars)) {
      // The variable keeps its own reference to the data: the initial tensor must be disposed, or it leaks.
      for (const moments of [this.m, this.v]) {
        const zeros = tf.zerosLike(p);
        moments[name] = tf.variable(zeros, false);
        zeros.dispose();
      }
    }
  }

  /**
   * One update from gradients keyed like the variables (missing keys: no update); lr overrides the config's
   * (schedules). On wasm+openblas each parameter is updated in place by one native call (lib/native, bit-identical
   * to the tfjs ops below, which remain the reference and the path everywhere else).
   */
  apply(grads: Record<string, tf.Tensor>, lr = this.config.lr, kernels: 'native' | 'tfjs' = 'native'): void {
    this.step++;
    const { beta1, beta2, eps, weightDecay } = this.config;
    const c1 = 1 - beta1 ** this.step;
    const c2 = 1 - beta2 ** this.step;
    // One tidy per parameter: intermediates of one tensor are freed before the next (peak memory ~ the largest
    // parameter, not the whole model; a 70M-parameter model otherwise overflows the 4 GB wasm heap).
    for (const [name, p] of Object.entries(this.vars)) {
      const g = grads[name];
      if (!g) continue;
      if (kernels === 'native' && nativeAdamW(p, this.m[name], this.v[name], g, { lr, beta1, beta2, c1, c2, eps, weightDecay })) continue;
      tf.tidy(() => {
        const m = this.m[name].mul(beta1).add(g.mul(1 - beta1));
        const v = this.v[name].mul(beta2).add(g.square().mul(1 - beta2));
        this.m[name].assign(m);
        this.v[name].assign(v);
        let update = m.div(c1).div(v.div(c2).sqrt().add(eps));
        if (weightDecay) update = update.add(p.mul(weightDecay));
        p.assign(p.sub(update.mul(lr)));
      });
    }
  }

  stateTensors(): Record<string, tf.Tensor> {
    const out: Record<string, tf.Tensor> = {};
    for (const name of Object.keys(this.vars)) {
      out[`m.${name}`] = this.m[name];
      out[`v.${name}`] = this.v[name];
    }
    return out;
  }

  loadState(step: number, tensors: Record<string, tf.Tensor>): void {
    for (const name of Object.keys(this.vars)) {
      const m = tensors[`m.${name}`];
      const v = tensors[`v.${name}`];
      if (!m || !v) throw new Error(`optimizer state has no moments for '${name}'`);
      this.m[name].assign(m);
      this.v[name].assign(v);
    }
    this.step = step;
  }

  dispose(): void {
    for (const t of [...Object.values(this.m), ...Object.values(this.v)]) t.dispose();
  }
}
