// `condgrad export`: a trained checkpoint (softmax routing, so the temperature matters) written as ONNX and checked in onnxruntime-node; flag errors.

import '../../kernels/register.js';
import { expect } from 'chai';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { exportCommand } from '../../cli/export.js';
import { trainCommand } from '../../cli/train.js';
import { buildModel, configFromFlags, type RunConfig } from '../../cli/train_config.js';
import { readCheckpoint, restoreCheckpoint } from '../../nn/checkpoint.js';
import { SoftmaxRouter } from '../../nn/router.js';
import { expectOnnxMatches } from '../helpers/onnx.js';
import { runCliCaptured, type CliRun } from '../helpers/cli.js';

function cli(...argv: string[]): Promise<CliRun> {
  return runCliCaptured([trainCommand, exportCommand], argv);
}

describe('cli export', () => {
  it('train cnn (softmax routing, 2 epochs × 2 batches) → export --checkpoint → onnxruntime matches the checkpoint at batch 1, 3, 17', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'condgrad-export-'));
    try {
      const r = await cli(
        'train',
        '--backend',
        'cpu',
        '--model',
        'cnn',
        '--width',
        '0.25',
        '--experts',
        '2',
        '--routing',
        'softmax',
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
        '--temperature-epochs',
        '4',
      );
      expect(r.code, r.err).to.equal(0);
      const ck = path.join(dir, 'cnn-w0.25-k2-softmax-last-s3', 'checkpoint.ckpt');
      const file = path.join(dir, 'out', 'model.onnx');
      const e = await cli('export', '--checkpoint', ck, '--out', file);
      expect(e.code, e.err).to.equal(0);
      // Epoch 2 of 2 trained at T(1) = 30 + (1 − 30)·1/4 = 22.75.
      expect(e.out).to.match(
        /wrote .*model\.onnx \([\d,]+ bytes\): cnn K=2 convert last softmax, softmax temperature 22\.75 from .*\(epoch 2\); input \[batch,1,28,28\], CondConv as scan/,
      );
      const loaded = readCheckpoint(ck);
      const model = buildModel(configFromFlags({}, loaded.config as unknown as RunConfig));
      restoreCheckpoint(loaded, model);
      for (const m of model.modules()) if (m instanceof SoftmaxRouter) m.setTemperature(22.75);
      await expectOnnxMatches(model, new Uint8Array(fs.readFileSync(file)), [1, 28, 28], [1, 3, 17]);

      const wrong = await cli('export', '--checkpoint', ck, '--model', 'resnet', '--out', file);
      expect(wrong.code).to.equal(2);
      expect(wrong.err).to.match(/^condgrad export: --model resnet does not match .*checkpoint\.ckpt, which holds a cnn \(see condgrad export --help\)\n$/);
      const gone = await cli('export', '--checkpoint', path.join(dir, 'none.ckpt'), '--out', file);
      expect(gone.code).to.equal(1);
      expect(gone.err.trim().split('\n')).to.have.length(1);
      expect(gone.err).to.match(/cannot read .*none\.ckpt/);
      const flags = await cli('export', '--checkpoint', ck, '--experts', '4', '--out', file);
      expect(flags.code).to.equal(2);
      expect(flags.err).to.match(/--experts cannot be given with --checkpoint/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a fresh seeded model with --cond-conv moe; a missing --out or a bad --cond-conv → exit 2', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'condgrad-export-'));
    try {
      const file = path.join(dir, 'm.onnx');
      const r = await cli('export', '--model', 'resnet', '--width', '0.25', '--convert', 'all', '--cond-conv', 'moe', '--out', file);
      expect(r.code, r.err).to.equal(0);
      expect(r.out).to.match(/resnet K=4 convert all sigmoid from a fresh model \(seed 1\); input \[batch,1,28,28\], CondConv as moe/);
      const model = buildModel(configFromFlags({ model: 'resnet', width: '0.25', convert: 'all' }));
      await expectOnnxMatches(model, new Uint8Array(fs.readFileSync(file)), [1, 28, 28], [1, 3]);
      const noOut = await cli('export', '--model', 'cnn');
      expect(noOut.code).to.equal(2);
      expect(noOut.err).to.match(/--out <file> is required/);
      const bad = await cli('export', '--cond-conv', 'grouped', '--out', file);
      expect(bad.code).to.equal(2);
      expect(bad.err).to.match(/--cond-conv must be one of scan, loop, unfold, moe; got 'grouped'/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
