// Model summary: runs one forward pass with every module hooked and reports output shapes, parameters and MACs per sample; and the module tree of toString().

import { CondgradError, checkShape } from '../core/errors.js';
import { noGrad } from '../core/engine.js';
import { zeros } from '../core/creation.js';
import { tidy } from '../core/scope.js';
import type { Tensor } from '../core/tensor.js';
import type { DType } from '../core/dtype.js';

/** What a module's forward pass costs, for summary(): a total, or named parts (e.g. `{ mixing, conv }`). */
export type Macs = number | Readonly<Record<string, number>>;

/** What summary() uses of a module (Module implements it; structural, so this file does not import the class). */
export interface SummaryModule {
  training: boolean;
  readonly typeName: string;
  readonly macsGroup: string | null;
  forward(x: Tensor): Tensor;
  macs(inputShape: readonly number[], outputShape: readonly number[]): Macs;
  namedModules(): [string, SummaryModule][];
  parameters(): Tensor[];
  ownParameters(): Tensor[];
  numParameters(onlyTrainable?: boolean): number;
  eval(): unknown;
}

/**
 * What counts as a MAC: conv and linear multiply-accumulates ('conv', 'linear'); CondConv's
 * kernel mixing Σ_k α_k W_k, K·(|W| + |bias|) per sample ('mixing'); everything a router
 * computes — its global average pool (one per input element) and its FC layers ('routing');
 * average pooling, one per window cell read ('pool'). BatchNorm (foldable into the conv),
 * activations, max pooling and softmax count 0.
 */
export interface SummaryRow {
  /** Dotted module name ('' for the model itself). */
  name: string;
  type: string;
  /** Call nesting depth (0 for the model). */
  depth: number;
  /** Input and output shapes of the call, batch dim included. */
  inputShape: number[];
  outputShape: number[];
  /** Parameters the module holds itself (counted at its first call only). */
  params: number;
  /** MACs per sample of this call, not counting submodule calls. */
  macs: number;
  /** The same MACs split by kind (see above). */
  macsByKind: Record<string, number>;
}

export interface Summary {
  rows: SummaryRow[];
  totalParams: number;
  trainableParams: number;
  /** MACs per sample of the whole forward pass. */
  totalMacs: number;
  macsByKind: Record<string, number>;
  outputShape: number[];
  /** The formatted table. */
  table: string;
}

export interface SummaryOptions {
  /** Batch size of the probe pass (default 1); MACs are reported per sample either way. */
  batch?: number;
  /** dtype of the probe input (default: that of the model's first parameter, else float32). */
  dtype?: DType;
}

function normalise(m: Macs, group: string | null): Record<string, number> {
  const parts: Record<string, number> = typeof m === 'number' ? (m === 0 ? {} : { other: m }) : { ...m };
  if (group === null) return parts;
  const total = Object.values(parts).reduce((a, b) => a + b, 0);
  return total === 0 ? {} : { [group]: total };
}

const fmtInt = (n: number): string => Math.round(n).toLocaleString('en-US');

function formatTable(rows: readonly SummaryRow[], s: Omit<Summary, 'table' | 'rows'>, inputShape: readonly number[]): string {
  const body = rows.map((r) => [
    `${'  '.repeat(r.depth)}${r.name === '' ? '' : `${r.name} `}(${r.type})`,
    `[${r.outputShape.join(',')}]`,
    r.params === 0 ? '-' : fmtInt(r.params),
    r.macs === 0 ? '-' : fmtInt(r.macs),
    Object.keys(r.macsByKind).length > 1
      ? Object.entries(r.macsByKind)
          .map(([k, v]) => `${k} ${fmtInt(v)}`)
          .join(' + ')
      : '',
  ]);
  const head = ['Layer (type)', 'Output shape', 'Params', 'MACs', 'MACs split'];
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => (i < 2 || i === 4 ? c.padEnd(widths[i]) : c.padStart(widths[i])))
      .join('  ')
      .trimEnd();
  const rule = '-'.repeat(widths.reduce((a, b) => a + b, 0) + 2 * (widths.length - 1));
  const kinds = Object.entries(s.macsByKind)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k} ${fmtInt(v)}`)
    .join(', ');
  return [
    `Input [${inputShape.join(',')}] per sample`,
    rule,
    line(head),
    rule,
    ...body.map(line),
    rule,
    `Total params: ${fmtInt(s.totalParams)} (trainable ${fmtInt(s.trainableParams)})`,
    `MACs per sample: ${fmtInt(s.totalMacs)}${kinds ? ` (${kinds})` : ''}`,
  ].join('\n');
}

/**
 * Summarises `model` on an input of shape `inputShape` (per sample, WITHOUT the batch dim, e.g.
 * [1, 28, 28]): one probe forward pass in eval mode without gradients, every module's forward
 * hooked to record its output shape, own parameters and MACs (`Module.macs`). A router shared by
 * several layers is counted once per call, where it is called. Training flags are restored after.
 */
export function summary(model: SummaryModule, inputShape: readonly number[], opts: SummaryOptions = {}): Summary {
  checkShape('summary', 'inputShape', inputShape);
  const batch = opts.batch ?? 1;
  if (!Number.isInteger(batch) || batch < 1) throw new CondgradError('summary', `batch must be a positive integer, got ${String(batch)}`);
  const mods = model.namedModules();
  const firstParam = model.parameters()[0];
  const dtype = opts.dtype ?? firstParam?.dtype ?? 'float32';
  const rows: SummaryRow[] = [];
  const groups: (string | null)[] = [];
  const counted = new Set<SummaryModule>();
  const modes = mods.map(([, m]) => m.training);
  const saved = mods.map(([, m]) => Object.getOwnPropertyDescriptor(m, 'forward'));
  let outputShape: number[] = [];
  try {
    for (const [name, m] of mods) {
      // eslint-disable-next-line @typescript-eslint/unbound-method -- called below as orig.apply(m, args)
      const orig = m.forward;
      const hooked = (...args: unknown[]): Tensor => {
        const x = args[0] as Tensor;
        const row: SummaryRow = { name, type: m.typeName, depth: groups.length, inputShape: [...x.shape], outputShape: [], params: 0, macs: 0, macsByKind: {} };
        rows.push(row);
        const group = m.macsGroup ?? groups[groups.length - 1] ?? null;
        groups.push(group);
        let y: Tensor;
        try {
          y = (orig as (...a: unknown[]) => Tensor).apply(m, args);
        } finally {
          groups.pop();
        }
        row.outputShape = [...y.shape];
        const parts = normalise(m.macs(x.shape, y.shape), group);
        for (const k of Object.keys(parts)) parts[k] /= x.shape[0];
        row.macsByKind = parts;
        row.macs = Object.values(parts).reduce((a, b) => a + b, 0);
        if (!counted.has(m)) {
          counted.add(m);
          row.params = m.ownParameters().reduce((s, p) => s + p.size, 0);
        }
        return y;
      };
      Object.defineProperty(m, 'forward', { value: hooked, configurable: true, writable: true, enumerable: false });
    }
    model.eval();
    noGrad(() =>
      tidy(() => {
        const x = zeros([batch, ...inputShape], { dtype, backend: firstParam?.backend });
        outputShape = [...model.forward(x).shape];
      }),
    );
  } finally {
    mods.forEach(([, m], i) => {
      m.training = modes[i];
      const d = saved[i];
      if (d === undefined) delete (m as { forward?: unknown }).forward;
      else Object.defineProperty(m, 'forward', d);
    });
  }
  const macsByKind: Record<string, number> = {};
  for (const r of rows) for (const [k, v] of Object.entries(r.macsByKind)) macsByKind[k] = (macsByKind[k] ?? 0) + v;
  const s = {
    totalParams: model.numParameters(),
    trainableParams: model.numParameters(true),
    totalMacs: Object.values(macsByKind).reduce((a, b) => a + b, 0),
    macsByKind,
    outputShape,
  };
  return { rows, ...s, table: formatTable(rows, s, inputShape) };
}

/** What moduleTree reads of a module (Module implements it). */
export interface TreeModule {
  readonly typeName: string;
  extraRepr(): string;
  namedChildren(): [string, TreeModule][];
  toString(): string;
}

/** Module.toString: a PyTorch-style tree of the module, its hyper-parameters and its submodules (each shown by its own toString). */
export function moduleTree(m: TreeModule): string {
  const kids = m.namedChildren();
  const extra = m.extraRepr();
  if (kids.length === 0) return `${m.typeName}(${extra})`;
  const body = kids.map(([n, c]) => `  (${n}): ${c.toString().split('\n').join('\n  ')}`);
  return [`${m.typeName}(`, ...(extra ? [`  ${extra}`] : []), ...body, ')'].join('\n');
}
