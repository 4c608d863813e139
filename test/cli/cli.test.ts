// CLI tests: dispatch and usage errors (exit 2), summary output, and a tiny train run writing its log and checkpoint, then resuming.

import '../../kernels/register.js';
import { expect } from 'chai';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Command } from '../../cli/command.js';
import { summaryCommand } from '../../cli/summary.js';
import { trainCommand } from '../../cli/train.js';
import { readCheckpoint } from '../../nn/checkpoint.js';
import { runCliCaptured, type CliRun } from '../helpers/cli.js';

const COMMANDS: Command[] = [trainCommand, summaryCommand];

function cli(...argv: string[]): Promise<CliRun> {
  return runCliCaptured(COMMANDS, argv);
}

describe('cli', () => {
  it('no command, an unknown command or an unknown flag → usage and exit 2; --help → 0', async () => {
    expect((await cli()).code).to.equal(2);
    const unknown = await cli('frobnicate');
    expect(unknown.code).to.equal(2);
    expect(unknown.err).to.equal("condgrad: unknown command 'frobnicate' (commands: train, summary; see condgrad --help)\n");
    const flag = await cli('train', '--bogus', '1');
    expect(flag.code).to.equal(2);
    expect(flag.err).to.match(/^condgrad train: Unknown option '--bogus'.* \(see condgrad train --help\)\n$/);
    const help = await cli('summary', '--help');
    expect(help.code).to.equal(0);
    expect(help.out).to.match(/--experts <K>/);
  });

  it('bad flag values → exit 2 naming the flag', async () => {
    for (const [args, re] of [
      [['train', '--epochs', 'two'], /--epochs must be an integer >= 1; got 'two'/],
      [['train', '--model', 'vgg'], /--model must be one of cnn, mobilenet-v1, mobilenet-v2, resnet, seq-cnn; got 'vgg'/],
      [['summary', '--experts', '0'], /--experts must be an integer >= 1/],
      [['train', '--backend', 'tpu'], /--backend must be one of cpu, wasm, gpu/],
      [['train', '--backend', 'wasm', '--threads', '0'], /--threads must be an integer >= 1 and <= 64; got '0'/],
      [['train', '--backend', 'cpu', '--threads', '2'], /--threads applies to the wasm backend, not cpu/],
    ] as [string[], RegExp][]) {
      const r = await cli(...args);
      expect(r.code, args.join(' ')).to.equal(2);
      expect(r.err).to.match(re);
    }
  });

  it('summary --model cnn --experts 2 prints the table', async () => {
    const r = await cli('summary', '--model', 'cnn', '--experts', '2');
    expect(r.code).to.equal(0);
    expect(r.out).to.match(/Total params: [\d,]+/);
    expect(r.out).to.match(/CondConv2d|CondLinear/);
  });

  it('train cnn 2 epochs × 2 batches of 32 → log.json and checkpoint; --resume --epochs 3 adds one epoch; a missing checkpoint → exit 1', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'condgrad-cli-'));
    try {
      const args = [
        '--backend',
        'cpu',
        '--model',
        'cnn',
        '--width',
        '0.25',
        '--experts',
        '2',
        '--epochs',
        '2',
        '--max-batches',
        '2',
        '--batch-size',
        '32',
        '--train-size',
        '128',
        '--test-size',
        '32',
        '--out',
        dir,
        '--quiet',
        '--seed',
        '3',
      ];
      const r = await cli('train', ...args);
      expect(r.code, r.err).to.equal(0);
      expect(r.out).to.match(/epoch 1\/2 {2}train loss \d\.\d{4} acc [\d.]+% {2}test loss \d\.\d{4} acc [\d.]+%/);
      const run = path.join(dir, 'cnn-w0.25-k2-sigmoid-last-s3');
      const log = JSON.parse(fs.readFileSync(path.join(run, 'log.json'), 'utf8')) as { epochs: unknown[]; config: Record<string, unknown> };
      expect(log.epochs).to.have.length(2);
      expect(log.config).to.include({ model: 'cnn', experts: 2, seed: 3, backend: 'cpu' });
      const ck = path.join(run, 'checkpoint.ckpt');
      expect(readCheckpoint(ck).epoch).to.equal(2);
      const more = await cli('train', '--resume', ck, '--epochs', '3', '--quiet');
      expect(more.code, more.err).to.equal(0);
      expect(more.out).to.match(/epoch 3\/3/);
      expect(readCheckpoint(ck).step).to.equal(6);
      const changed = await cli('train', '--resume', ck, '--epochs', '4', '--lr', '1');
      expect(changed.code).to.equal(2);
      expect(changed.err).to.match(/--lr cannot change when resuming/);
      const missing = await cli('train', '--resume', path.join(dir, 'none.ckpt'));
      expect(missing.code).to.equal(1);
      expect(missing.err).to.match(/cannot read .*none\.ckpt/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
