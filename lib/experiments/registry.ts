/** Every experiment the CLI and the notebooks can run, by name. */
import type { Experiment } from './types';
import { toyCopy } from './toy-copy';
import { dynamics } from './dynamics';
import { theorem2 } from './theorem2';
import { theorem1 } from './theorem1';
import { hamiltonian } from './hamiltonian';
import { pretrain } from './pretrain';
import { tokenCues } from './token-cues';
import { realWorld } from './real-world';
import { alignment } from './alignment';

// biome-ignore lint/suspicious/noExplicitAny: experiments of every config type in one table
export const EXPERIMENTS: Record<string, Experiment<any, any>> = {
  [toyCopy.name]: toyCopy,
  [dynamics.name]: dynamics,
  [theorem2.name]: theorem2,
  [theorem1.name]: theorem1,
  [hamiltonian.name]: hamiltonian,
  [pretrain.name]: pretrain,
  [tokenCues.name]: tokenCues,
  [realWorld.name]: realWorld,
  [alignment.name]: alignment,
};

/** Other names an experiment is asked for by (the token-cue experiment is the paper's Persona experiment). */
export const ALIASES: Record<string, string> = { persona: tokenCues.name };

// biome-ignore lint/suspicious/noExplicitAny: the config type is the caller's to know
export function getExperiment(name: string): Experiment<any, any> {
  const exp = EXPERIMENTS[ALIASES[name] ?? name];
  if (!exp)
    throw new Error(
      `unknown experiment '${name}' (available: ${Object.keys(EXPERIMENTS).join(', ')}; aliases: ${Object.entries(ALIASES)
        .map(([a, e]) => `${a} = ${e}`)
        .join(', ')})`,
    );
  return exp;
}
