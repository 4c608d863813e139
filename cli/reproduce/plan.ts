// The reproduction experiment's plan: the full and quick settings, the model variants, and one run spec per variant and seed.

import { CondgradError } from '../../core/errors.js';
import { configFromFlags, type RunConfig } from '../train_config.js';
import type { ModelOptions } from '../../nn/models/index.js';

/** What kind of model a variant is: the paper's baseline, CondConv, DyConv, the MAC-matched wider baseline, CondConv with expert dropout. */
export type Family = 'baseline' | 'condconv' | 'dyconv' | 'wide' | 'dropout';

export const FAMILIES: readonly Family[] = ['baseline', 'condconv', 'dyconv', 'wide', 'dropout'];

export const FAMILY_LABEL: Readonly<Record<Family, string>> = {
  baseline: 'baseline',
  condconv: 'CondConv (sigmoid)',
  dyconv: 'DyConv (softmax, T 30→1)',
  wide: 'wider baseline (MACs of CondConv)',
  dropout: 'CondConv + expert dropout',
};

/** One model variant: everything but the seed. */
export interface Variant {
  /** Stable id, e.g. `baseline`, `condconv-k8`, `dyconv-k4`, `wide`, `condconv-k8-drop`. */
  id: string;
  label: string;
  family: Family;
  /** K, or null for a plain model. */
  experts: number | null;
  width: number;
  routing: 'sigmoid' | 'softmax';
  expertDropout: number;
}

/** The settings every run shares, and which variants exist. */
export interface Settings {
  preset: 'full' | 'quick';
  /** MobileNetV1 width multiplier of the baseline and the CondConv models. */
  width: number;
  epochs: number;
  seeds: number[];
  /** CondConv expert counts (sigmoid routing, one router per block shared by its two convs). */
  Ks: number[];
  /** K of the DyConv variant (null: none). */
  dyconvK: number | null;
  /** DyConv: the temperature falls 30 → 1 linearly over this many epochs (per epoch, as `condgrad train`). */
  temperatureEpochs: number;
  /** The wider baseline gets the MACs of CondConv at this K (null: none). */
  wideMatchK: number | null;
  /** CondConv at this K with this expert-dropout probability (null: none). */
  dropout: { K: number; p: number } | null;
  /** Training digits: the first trainSize of the fixed 8000-digit train split; the test set is the fixed 2000. */
  trainSize: number;
  testSize: number;
  optimizer: 'adam';
  lr: number;
  batchSize: number;
  /** Random shifts (pixels) of the training digits. */
  shift: number;
  /** Batch-1 inference timing: warm-up forwards, then `rounds` rounds of `images` forwards each. */
  latency: { warmup: number; rounds: number; images: number };
}

/**
 * The full experiment. Width 0.5 and 6 epochs: seed-1 probes of the baseline with these very
 * settings gave 95.05% test accuracy at width 0.25 and 96.95% at width 0.5 (both still rising
 * slowly at the end of the cosine schedule), so 0.5 puts the baseline near 97%, well below 100%,
 * and the 27 runs fit ~45 min on 2 cores. Optimizer, lr, batch and augmentation are the
 * `condgrad train` defaults, not tuned for any variant. Expert dropout 0.2 is one chosen value.
 */
export const FULL: Readonly<Settings> = Object.freeze({
  preset: 'full',
  width: 0.5,
  epochs: 6,
  seeds: [1, 2, 3],
  Ks: [1, 2, 4, 8, 16],
  dyconvK: 4,
  temperatureEpochs: 2,
  wideMatchK: 8,
  dropout: { K: 8, p: 0.2 },
  trainSize: 8000,
  testSize: 2000,
  optimizer: 'adam',
  lr: 0.002,
  batchSize: 64,
  shift: 2,
  latency: { warmup: 20, rounds: 7, images: 40 },
});

/**
 * How the width was chosen: seed-1 baselines trained with FULL's settings (`condgrad train
 * --model mobilenet-v1 --convert none --width w --epochs 6 --backend wasm`), test accuracy.
 */
export const WIDTH_PROBE: readonly { width: number; params: number; testAccuracy: number }[] = [
  { width: 0.25, params: 3370, testAccuracy: 0.9505 },
  { width: 0.5, params: 10634, testAccuracy: 0.9695 },
];

/** A smoke run: baseline and CondConv K=4, one seed, one epoch on the first 4000 training digits. */
export const QUICK: Readonly<Settings> = Object.freeze({
  ...FULL,
  preset: 'quick',
  epochs: 1,
  seeds: [1],
  Ks: [4],
  dyconvK: null,
  temperatureEpochs: 1,
  wideMatchK: null,
  dropout: null,
  trainSize: 4000,
  latency: { warmup: 5, rounds: 3, images: 10 },
});

/** The variants of `s`, plain first; `wideWidth` is the MAC-matched width (see matchWidth) when s.wideMatchK is set. */
export function variants(s: Settings, wideWidth: number | null): Variant[] {
  const out: Variant[] = [
    { id: 'baseline', label: `baseline w=${s.width}`, family: 'baseline', experts: null, width: s.width, routing: 'sigmoid', expertDropout: 0 },
  ];
  for (const K of s.Ks) {
    out.push({ id: `condconv-k${K}`, label: `CondConv K=${K}`, family: 'condconv', experts: K, width: s.width, routing: 'sigmoid', expertDropout: 0 });
  }
  if (s.dyconvK !== null) {
    const K = s.dyconvK;
    out.push({ id: `dyconv-k${K}`, label: `DyConv K=${K}`, family: 'dyconv', experts: K, width: s.width, routing: 'softmax', expertDropout: 0 });
  }
  if (s.wideMatchK !== null) {
    if (wideWidth === null) throw new CondgradError('reproduce', `settings ask for a wider baseline matched to K=${s.wideMatchK} but no width was given`);
    out.push({ id: 'wide', label: `baseline w=${wideWidth}`, family: 'wide', experts: null, width: wideWidth, routing: 'sigmoid', expertDropout: 0 });
  }
  if (s.dropout !== null) {
    const { K, p } = s.dropout;
    out.push({
      id: `condconv-k${K}-drop`,
      label: `CondConv K=${K} + expert dropout ${p}`,
      family: 'dropout',
      experts: K,
      width: s.width,
      routing: 'sigmoid',
      expertDropout: p,
    });
  }
  return out;
}

/** createModel('mobilenet-v1', ...) options of a variant: CondConv in every block and the FC, or no CondConv at all. */
export function modelOptions(v: Pick<Variant, 'width' | 'experts' | 'routing' | 'expertDropout'>, seed: number): ModelOptions {
  return {
    width: v.width,
    experts: v.experts ?? 1,
    convert: v.experts === null ? 'none' : 'all',
    routing: v.routing,
    expertDropout: v.expertDropout,
    inChannels: 1,
    numClasses: 10,
    inputSize: 28,
    seed,
  };
}

/** The `condgrad train` flags of one variant and seed (the run's whole configuration). */
export function trainFlags(s: Settings, v: Variant, seed: number): Record<string, string> {
  return {
    model: 'mobilenet-v1',
    width: String(v.width),
    experts: String(v.experts ?? 1),
    convert: v.experts === null ? 'none' : 'all',
    routing: v.routing,
    'expert-dropout': String(v.expertDropout),
    optimizer: s.optimizer,
    lr: String(s.lr),
    schedule: 'cosine',
    'batch-size': String(s.batchSize),
    epochs: String(s.epochs),
    seed: String(seed),
    shift: String(s.shift),
    'train-size': String(s.trainSize),
    'test-size': String(s.testSize),
    'temperature-epochs': String(s.temperatureEpochs),
  };
}

/** The shell command that trains the same run alone (same numbers: wasm results do not depend on the thread count). */
export function trainCommandLine(flags: Record<string, string>): string {
  return `condgrad train ${Object.entries(flags)
    .map(([k, v]) => `--${k} ${v}`)
    .join(' ')} --backend wasm`;
}

/** One training run of the experiment. */
export interface RunSpec {
  /** `<variant id>-s<seed>`. */
  id: string;
  variant: string;
  seed: number;
  config: RunConfig;
  /** Whether to record per-class routing weights (CondConv and DyConv models). */
  routing: boolean;
}

/** Every (variant, seed) run of the plan, the costliest variants (most MACs) first so parallel jobs finish together. */
export function runSpecs(s: Settings, vs: readonly Variant[], macsOf: (v: Variant) => number): RunSpec[] {
  const order = [...vs].sort((a, b) => macsOf(b) - macsOf(a));
  return order.flatMap((v) =>
    s.seeds.map((seed) => ({
      id: `${v.id}-s${seed}`,
      variant: v.id,
      seed,
      config: configFromFlags(trainFlags(s, v, seed)),
      routing: v.experts !== null,
    })),
  );
}
