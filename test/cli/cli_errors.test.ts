// CLI failures: one line on stderr and a non-zero exit for every failure; oversized models refused with their count; runs never overwritten by another configuration; CONDGRAD_BACKEND alike everywhere; NaN test loss stops.
/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-argument -- these tests edit raw checkpoint headers (parsed JSON) into malformed shapes on purpose */

import '../../kernels/register.js';
import { expect } from 'chai';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Command } from '../../cli/command.js';
import { estimateParameters } from '../../cli/model_size.js';
import { reproduceCommand } from '../../cli/reproduce.js';
import { summaryCommand } from '../../cli/summary.js';
import { trainCommand } from '../../cli/train.js';
import { encodeCheckpointFrame, readCheckpoint } from '../../nn/checkpoint.js';
import { createModel, MODEL_NAMES } from '../../nn/models/index.js';
import { runCliCaptured, type CliRun } from '../helpers/cli.js';

const boom: Command = {
  name: 'boom',
  description: 'throws a bug',
  usage: '',
  options: {},
  run: async () => {
    throw new TypeError('x.y is not a function\n  more');
  },
};
const COMMANDS: Command[] = [trainCommand, summaryCommand, reproduceCommand, boom];

function cli(...argv: string[]): Promise<CliRun> {
  return runCliCaptured(COMMANDS, argv);
}

/**
 * A failure: the exit code, and one error line on stderr (the last; a run that had started may
 * have printed its progress lines before it), with no stack frame.
 */
async function fails(code: number, re: RegExp, ...argv: string[]): Promise<string> {
  const r = await cli(...argv);
  expect(r.code, `${argv.join(' ')}: ${r.err}`).to.equal(code);
  const lines = r.err.trimEnd().split('\n');
  expect(
    lines.filter((l) => l.startsWith('condgrad ')),
    `${argv.join(' ')}: one error line`,
  ).to.have.length(1);
  for (const l of lines.slice(0, -1)) expect(l, 'progress line').to.match(/^(resuming |[\w-]+ \([\d,]+ params)/);
  expect(r.err).to.not.match(/\n\s+at /);
  const last = lines[lines.length - 1];
  expect(last).to.match(re);
  return last;
}

/** The tiny training run of these tests (cpu, 2 batches of 32, 64/32 digits). */
const TINY = [
  '--backend',
  'cpu',
  '--model',
  'cnn',
  '--width',
  '0.25',
  '--experts',
  '2',
  '--max-batches',
  '2',
  '--batch-size',
  '32',
  '--train-size',
  '64',
  '--test-size',
  '32',
  '--quiet',
  '--seed',
  '3',
];

/** Rewrites a checkpoint's header (and payload) through the writer's format (valid checksum). */
function editCheckpoint(file: string, edit: (h: any, payload: Buffer) => void): void {
  const buf = fs.readFileSync(file);
  const len = buf.readUInt32LE(12);
  const header = JSON.parse(buf.toString('utf8', 48, 48 + len));
  const payload = Buffer.from(buf.subarray(48 + len));
  edit(header, payload);
  fs.writeFileSync(file, Buffer.concat(encodeCheckpointFrame(header, [payload]).chunks));
}

function modelTensors(file: string): string {
  return JSON.stringify([...readCheckpoint(file).tensors].filter(([k]) => k.startsWith('model.')).map(([k, t]) => [k, Array.from(t.data)]));
}

describe('cli failures', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'condgrad-clierr-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('--out naming a file, an oversized model and a bug are each one line, exit ≠ 0, no stack trace', async () => {
    const file = path.join(dir, 'plain.txt');
    fs.writeFileSync(file, 'x');
    await fails(2, /^condgrad train: --out .*plain\.txt is a file, not a directory \(see condgrad train --help\)$/, 'train', ...TINY, '--out', file);
    await fails(
      1,
      /^condgrad train: cannot create the run directory .*plain\.txt\/sub\/cnn-w0\.25-k2-sigmoid-last-s3: a component of the path is a file, not a directory$/,
      'train',
      ...TINY,
      '--out',
      path.join(file, 'sub'),
    );
    await fails(
      1,
      /^condgrad train: cnn \(width 1000000, K = 2, convert last\) has about \d\.\d{3}e\+16 parameters, more than the limit of 25,000,000; .*--max-params/,
      'train',
      ...TINY,
      '--width',
      '1e6',
      '--out',
      dir,
    );
    const wide = await fails(
      1,
      /^condgrad train: cnn \(width 1000, K = 2, convert last\) has about [\d,]+ parameters/,
      'train',
      ...TINY,
      '--width',
      '1000',
      '--out',
      dir,
    );
    const n = Number(/about ([\d,]+) parameters/.exec(wide)![1].replace(/,/g, ''));
    expect(n).to.be.within(1e9, 1e12);
    await fails(
      1,
      /^condgrad summary: mobilenet-v2 \(width 1000, K = 4, convert last\) has about [\d,]+ parameters/,
      'summary',
      '--model',
      'mobilenet-v2',
      '--width',
      '1000',
    );
    await fails(1, /has 25,\d{3},\d{3} parameters|has about/, 'summary', '--model', 'cnn', '--experts', '2000', '--max-params', '25000000');
    await fails(2, /--input-size must be an integer >= 1 and <= 1024; got '100000'/, 'summary', '--input-size', '100000');
    await fails(1, /^condgrad boom: unexpected TypeError: x\.y is not a function more \(set CONDGRAD_DEBUG=1 for the stack trace\)$/, 'boom');
    expect(fs.readdirSync(dir).sort()).to.deep.equal(['plain.txt']);
  });

  it("the parameter estimate that guards the build equals the built model's count", () => {
    for (const name of MODEL_NAMES) {
      for (const [width, experts, convert] of [
        [4, 3, 'all'],
        [5, 20, 'none'],
      ] as const) {
        const real = createModel(name, { width, experts, convert, seed: 0 }).numParameters();
        expect(estimateParameters(name, { width, experts, convert }), `${name} w${width} K${experts} ${convert}`).to.equal(real);
      }
    }
  });

  it('CONDGRAD_BACKEND=tpu is refused alike by every command; a valid value is used by summary', async () => {
    const saved = process.env.CONDGRAD_BACKEND;
    try {
      process.env.CONDGRAD_BACKEND = 'tpu';
      for (const c of ['train', 'summary', 'reproduce']) {
        await fails(2, new RegExp(`^condgrad ${c}: CONDGRAD_BACKEND='tpu' is not a backend \\(expected cpu, wasm, gpu\\)`), c);
      }
      process.env.CONDGRAD_BACKEND = 'cpu';
      const ok = await cli('summary', '--experts', '2');
      expect(ok.code, ok.err).to.equal(0);
      await fails(2, /reproduction runs on the wasm backend only/, 'reproduce', '--quick');
    } finally {
      if (saved === undefined) delete process.env.CONDGRAD_BACKEND;
      else process.env.CONDGRAD_BACKEND = saved;
    }
  });

  it('resuming a checkpoint with a bad seed is one line naming the field', async () => {
    const r = await cli('train', ...TINY, '--epochs', '1', '--out', dir);
    expect(r.code, r.err).to.equal(0);
    const ck = path.join(dir, 'cnn-w0.25-k2-sigmoid-last-s3', 'checkpoint.ckpt');
    const bad = path.join(dir, 'bad.ckpt');
    fs.copyFileSync(ck, bad);
    editCheckpoint(bad, (h) => {
      h.state.seed = 'three';
    });
    await fails(
      1,
      /^condgrad train: loadCheckpoint: .*bad\.ckpt: state\.seed must be a finite number, got a string \("three"\)$/,
      'train',
      '--resume',
      bad,
      '--epochs',
      '2',
    );
    fs.copyFileSync(ck, bad);
    editCheckpoint(bad, (h) => {
      h.state.seed = -1;
      h.config.seed = -1;
    });
    await fails(1, /bad\.ckpt: the stored configuration is invalid: seed must be an integer >= 0/, 'train', '--resume', bad, '--epochs', '2');
    fs.copyFileSync(ck, bad);
    editCheckpoint(bad, (h) => {
      h.state.seed = 4;
    });
    await fails(1, /the run state's seed 4 differs from its configuration's seed 3/, 'train', '--resume', bad, '--epochs', '2');
    fs.copyFileSync(ck, bad);
    editCheckpoint(bad, (h) => {
      delete h.config.lr;
    });
    await fails(1, /the stored configuration has no lr/, 'train', '--resume', bad, '--epochs', '2');
  });

  it('a second run of another configuration is refused and the first run kept; --name gives it its own directory', async () => {
    const first = await cli('train', ...TINY, '--epochs', '2', '--out', dir);
    expect(first.code, first.err).to.equal(0);
    const run = path.join(dir, 'cnn-w0.25-k2-sigmoid-last-s3');
    const before = fs.readFileSync(path.join(run, 'checkpoint.ckpt'));
    await fails(
      1,
      /cnn-w0\.25-k2-sigmoid-last-s3 already holds a run with a different configuration \(optimizer adam → sgd, lr 0\.002 → 0\.001, epochs 2 → 1\); choose another --name or --out/,
      'train',
      ...TINY,
      '--epochs',
      '1',
      '--lr',
      '0.001',
      '--optimizer',
      'sgd',
      '--out',
      dir,
    );
    expect(fs.readFileSync(path.join(run, 'checkpoint.ckpt')).equals(before)).to.equal(true);
    const other = await cli('train', ...TINY, '--epochs', '1', '--lr', '0.001', '--optimizer', 'sgd', '--out', dir, '--name', 'sgd-run');
    expect(other.code, other.err).to.equal(0);
    expect(readCheckpoint(path.join(dir, 'sgd-run', 'checkpoint.ckpt')).config).to.include({ optimizer: 'sgd', lr: 0.001 });
    await fails(2, /--name must be a directory name/, 'train', ...TINY, '--out', dir, '--name', '../up');
    // The same configuration again: nothing to do.
    const again = await cli('train', ...TINY, '--epochs', '2', '--out', dir);
    expect(again.code, again.err).to.equal(0);
    expect(again.out).to.match(/already holds 2 epochs \(--epochs 2\); nothing to do/);
    expect(fs.readFileSync(path.join(run, 'checkpoint.ckpt')).equals(before)).to.equal(true);
  });

  it('the same configuration in a directory stopped after epoch 1 continues it, exactly as the uninterrupted run', async () => {
    const whole = await cli('train', ...TINY, '--epochs', '2', '--out', dir, '--name', 'whole', '--keep-checkpoints');
    expect(whole.code, whole.err).to.equal(0);
    // A run killed after its first epoch: its directory holds epoch 1's checkpoint and log.
    fs.mkdirSync(path.join(dir, 'cut'));
    fs.copyFileSync(path.join(dir, 'whole', 'epoch-1.ckpt'), path.join(dir, 'cut', 'checkpoint.ckpt'));
    const cont = await cli('train', ...TINY, '--epochs', '2', '--out', dir, '--name', 'cut');
    expect(cont.code, cont.err).to.equal(0);
    expect(cont.err).to.match(/already holds this configuration \(epoch 1\/2\): continuing it/);
    expect(cont.out)
      .to.match(/epoch 2\/2/)
      .and.not.match(/epoch 1\/2/);
    expect(readCheckpoint(path.join(dir, 'cut', 'checkpoint.ckpt')).epoch).to.equal(2);
    expect(modelTensors(path.join(dir, 'cut', 'checkpoint.ckpt'))).to.equal(modelTensors(path.join(dir, 'whole', 'checkpoint.ckpt')));
  });

  it('a run whose test loss becomes NaN stops with one line and keeps the previous checkpoint', async () => {
    const args = TINY.map((a) => (a === 'cnn' ? 'mobilenet-v2' : a));
    const r = await cli('train', ...args, '--epochs', '1', '--out', dir);
    expect(r.code, r.err).to.equal(0);
    const ck = path.join(dir, 'mobilenet-v2-w0.25-k2-sigmoid-last-s3', 'checkpoint.ckpt');
    // A NaN running variance in the last block's projection BatchNorm (no activation follows it):
    // training uses batch statistics and stays finite, eval gives NaN logits.
    editCheckpoint(ck, (h, payload) => {
      const e = h.tensors.filter((t: any) => /project\.bn\.runningVar$/.test(t.name)).pop();
      payload.writeFloatLE(NaN, e.offset);
    });
    const before = fs.readFileSync(ck);
    await fails(
      1,
      /^condgrad train: test loss became NaN after epoch 2, step 4 \(lr [\d.e+-]+\); lower the learning rate$/,
      'train',
      '--resume',
      ck,
      '--epochs',
      '2',
      '--quiet',
    );
    expect(fs.readFileSync(ck).equals(before), 'the previous checkpoint is kept').to.equal(true);
  });
});
