// timm ↔ condgrad: tensor names and layouts of timm's CondConvResidual / InvertedResidual / DepthwiseSeparableConv / BasicBlock and CondConv2d.

import { CondgradError, fmtShape } from '../../core/errors.js';
import { noGrad } from '../../core/engine.js';
import type { Tensor } from '../../core/tensor.js';
import { reshape } from '../../ops/shape.js';
import { CondConv2d, DepthwiseCondConv2d } from '../cond_conv.js';
import { BatchNorm2d } from '../layers/batchnorm2d.js';
import { Conv2d } from '../layers/conv2d.js';
import { DepthwiseConv2d } from '../layers/depthwise_conv2d.js';
import { Linear } from '../layers/linear.js';
import { DepthwiseSeparableBlock } from '../models/mobilenet_v1.js';
import { InvertedResidualBlock } from '../models/mobilenet_v2.js';
import { BasicBlock } from '../models/resnet.js';
import type { Module } from '../module.js';
import type { LoadResult } from '../module_state.js';
import { SigmoidRouter } from '../router.js';
import { namedEntries, type NamedTensors } from './safetensors.js';
import { SafetensorsError } from './safetensors_header.js';
import { sameShape } from '../../core/shape.js';

/** Pairs [condgrad module path, timm module prefix]; ['', ''] maps the whole module given. */
export type TimmMapping = readonly (readonly [string, string])[];

/** One tensor's names on both sides. */
export interface TimmKey {
  /** condgrad's dotted name (module path + field) and its tensor. */
  condgrad: string;
  tensor: Tensor;
  /** timm's state-dict name. */
  timm: string;
  /** The shape timm stores: CondConv experts [K, O, C/g, kH, kW] are flattened to [K, O·C/g·kH·kW]. */
  timmShape: number[];
}

const join = (a: string, b: string): string => (a === '' ? b : b === '' ? a : `${a}.${b}`);

/** The module paths of a block on both sides: [condgrad submodule path, timm submodule name]. */
function blockParts(op: string, m: Module, path: string): [string, string][] | null {
  if (m instanceof InvertedResidualBlock) {
    if (m.expand === null) {
      // t = 1: timm builds no CondConv block without conv_pw; its plain DepthwiseSeparableConv matches.
      if (m.router !== null)
        throw new CondgradError(
          op,
          `'${path}' is a CondConv inverted residual without expansion; timm's CondConvResidual always has conv_pw, so it has no counterpart`,
        );
      return [
        ['dw.conv', 'conv_dw'],
        ['dw.bn', 'bn1'],
        ['project.conv', 'conv_pw'],
        ['project.bn', 'bn2'],
      ];
    }
    const parts: [string, string][] = [
      ['expand.conv', 'conv_pw'],
      ['expand.bn', 'bn1'],
      ['dw.conv', 'conv_dw'],
      ['dw.bn', 'bn2'],
      ['project.conv', 'conv_pwl'],
      ['project.bn', 'bn3'],
    ];
    return m.router === null ? parts : [['router', 'routing_fn'], ...parts];
  }
  if (m instanceof DepthwiseSeparableBlock) {
    if (m.router !== null) throw new CondgradError(op, `'${path}' is a CondConv depthwise-separable block; timm's DepthwiseSeparableConv has no CondConv form`);
    return [
      ['dw.conv', 'conv_dw'],
      ['dw.bn', 'bn1'],
      ['pw.conv', 'conv_pw'],
      ['pw.bn', 'bn2'],
    ];
  }
  if (m instanceof BasicBlock) {
    if (m.router !== null) throw new CondgradError(op, `'${path}' is a CondConv basic block; timm's ResNet BasicBlock has no CondConv form`);
    const parts: [string, string][] = [
      ['conv1.conv', 'conv1'],
      ['conv1.bn', 'bn1'],
      ['conv2.conv', 'conv2'],
      ['conv2.bn', 'bn2'],
    ];
    return m.shortcut === null ? parts : [...parts, ['shortcut.conv', 'downsample.0'], ['shortcut.bn', 'downsample.1']];
  }
  return null;
}

function collect(op: string, m: Module, cPath: string, tPath: string, out: TimmKey[]): void {
  const add = (field: string, timmField: string, t: Tensor | null, flat = false): void => {
    if (t === null) return;
    out.push({ condgrad: join(cPath, field), tensor: t, timm: join(tPath, timmField), timmShape: flat ? [t.shape[0], t.size / t.shape[0]] : [...t.shape] });
  };
  const parts = blockParts(op, m, cPath);
  if (parts !== null) {
    for (const [c, t] of parts) collect(op, m.getSubmodule(c), join(cPath, c), join(tPath, t), out);
  } else if (m instanceof CondConv2d || m instanceof DepthwiseCondConv2d) {
    add('experts', 'weight', m.experts, true);
    add('bias', 'bias', m.bias);
  } else if (m instanceof Conv2d || m instanceof DepthwiseConv2d || m instanceof Linear) {
    add('weight', 'weight', m.weight);
    add('bias', 'bias', m.bias);
  } else if (m instanceof BatchNorm2d) {
    add('weight', 'weight', m.weight);
    add('bias', 'bias', m.bias);
    add('runningMean', 'running_mean', m.runningMean);
    add('runningVar', 'running_var', m.runningVar);
  } else if (m instanceof SigmoidRouter) {
    // timm's routing_fn is one Linear(C_in, K) followed by sigmoid.
    if (m.fc2 !== null) throw new CondgradError(op, `'${cPath}' is a sigmoid router with a hidden layer; timm's routing_fn is a single Linear`);
    collect(op, m.fc1, join(cPath, 'fc1'), tPath, out);
  } else {
    throw new CondgradError(
      op,
      `'${cPath}' is a ${m.typeName}, which has no timm counterpart here (supported: InvertedResidualBlock, DepthwiseSeparableBlock, BasicBlock, CondConv2d, DepthwiseCondConv2d, Conv2d, DepthwiseConv2d, Linear, BatchNorm2d, SigmoidRouter)`,
    );
  }
}

/**
 * The tensor-by-tensor correspondence for `mapping` (default [['', '']]: `model` itself is one
 * block, timm names without a prefix). An InvertedResidualBlock is timm's CondConvResidual
 * (router.fc1 ↔ routing_fn, expand ↔ conv_pw/bn1, dw ↔ conv_dw/bn2, project ↔ conv_pwl/bn3), or
 * its plain InvertedResidual without a router; a DepthwiseSeparableBlock (or an InvertedResidualBlock
 * with expansion 1) is timm's DepthwiseSeparableConv (conv_dw, bn1, conv_pw, bn2); a plain ResNet
 * BasicBlock is timm's (conv1, bn1, conv2, bn2, downsample.0/1). BatchNorm's runningMean/runningVar ↔
 * running_mean/running_var (timm's num_batches_tracked has no counterpart and is ignored).
 */
export function timmKeys(model: Module, mapping: TimmMapping = [['', '']], op = 'timmKeys'): TimmKey[] {
  const pairs: unknown = mapping;
  if (!Array.isArray(pairs) || !pairs.every((p: unknown) => Array.isArray(p) && p.length === 2 && p.every((s: unknown) => typeof s === 'string'))) {
    throw new CondgradError(op, `mapping must be an array of [condgradPath, timmPrefix] string pairs, got ${JSON.stringify(mapping)}`);
  }
  const out: TimmKey[] = [];
  for (const [c, t] of mapping) collect(op, model.getSubmodule(c), c, t, out);
  const seen = new Map<string, string>();
  for (const k of out) {
    const prev = seen.get(k.timm);
    if (prev !== undefined) throw new CondgradError(op, `timm name '${k.timm}' would hold both '${prev}' and '${k.condgrad}'`);
    seen.set(k.timm, k.condgrad);
  }
  return out;
}

/**
 * condgrad → timm: copies of the mapped tensors under timm's names, CondConv experts flattened to
 * timm's [K, O·C/g·kH·kW] (each expert's OIHW kernel, the same element order). The caller owns
 * the copies; pass them to saveSafetensors. Works on any backend.
 */
export function toTimmState(model: Module, mapping: TimmMapping = [['', '']]): Map<string, Tensor> {
  const keys = timmKeys(model, mapping, 'toTimmState');
  return noGrad(() => new Map(keys.map((k) => [k.timm, reshape(k.tensor, k.timmShape)] as [string, Tensor])));
}

/**
 * timm → condgrad: loads tensors named as timm names them (e.g. loadSafetensors of a timm
 * state dict) into `model` in place. Each tensor must have timm's shape for its condgrad
 * counterpart (CondConv weight [K, O·C/g·kH·kW] for experts [K, O, C/g, kH, kW]) and the model's
 * dtype. strict (default): every mapped tensor must be in `state`, and every name in `state`
 * under a mapped timm prefix must be used (num_batches_tracked excepted). Returns the timm names
 * missing from `state` and those left unused. Every check runs first: a failure loads nothing.
 */
export function loadTimmState(model: Module, state: NamedTensors, mapping: TimmMapping = [['', '']], opts: { strict?: boolean } = {}): LoadResult {
  const op = 'loadTimmState';
  const strict = opts.strict ?? true;
  const keys = timmKeys(model, mapping, op);
  const src = new Map(namedEntries(op, state));
  const used = new Set(keys.map((k) => k.timm));
  const under = (name: string): boolean => mapping.some(([, t]) => t === '' || name.startsWith(`${t}.`));
  const missingKeys = keys.filter((k) => !src.has(k.timm)).map((k) => k.timm);
  const unexpectedKeys = [...src.keys()].filter((n) => under(n) && !used.has(n) && !n.endsWith('num_batches_tracked'));
  const keyProblems: string[] = [];
  if (strict && missingKeys.length > 0)
    keyProblems.push(
      `missing timm keys: ${keys
        .filter((k) => !src.has(k.timm))
        .map((k) => `${k.timm} (for ${k.condgrad})`)
        .join(', ')}`,
    );
  if (strict && unexpectedKeys.length > 0) keyProblems.push(`timm keys with no condgrad counterpart: ${unexpectedKeys.join(', ')}`);
  if (keyProblems.length > 0) throw new SafetensorsError(op, 'keys', `timm state does not match ${model.typeName}: ${keyProblems.join('; ')}`);
  const mismatched: string[] = [];
  for (const k of keys) {
    const t = src.get(k.timm);
    if (t !== undefined && (!sameShape(t.shape, k.timmShape) || t.dtype !== k.tensor.dtype)) {
      mismatched.push(
        `'${k.timm}' is ${fmtShape(t.shape)} ${t.dtype} but '${k.condgrad}' ${fmtShape(k.tensor.shape)} needs ${fmtShape(k.timmShape)} ${k.tensor.dtype}`,
      );
    }
  }
  if (mismatched.length > 0) throw new SafetensorsError(op, 'mismatch', `timm state does not match ${model.typeName}: ${mismatched.join('; ')}`);
  const ready: [Tensor, Tensor][] = [];
  try {
    noGrad(() => {
      for (const k of keys) {
        const t = src.get(k.timm);
        if (t === undefined) continue;
        const shaped = reshape(t, k.tensor.shape);
        const moved = shaped.backend === k.tensor.backend ? shaped : shaped.to(k.tensor.backend);
        if (moved !== shaped) shaped.dispose();
        ready.push([k.tensor, moved]);
      }
    });
  } catch (e) {
    for (const [, t] of ready) t.dispose();
    throw e;
  }
  for (const [dst, t] of ready) dst.assign(t);
  return { missingKeys, unexpectedKeys };
}
