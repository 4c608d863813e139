// The README's ONNX example runs as shown: trained here, exported, and onnxruntime predicts what condgrad predicts.
import { expect } from 'chai';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { onnxServe } from '../../examples/onnx_serve.js';

describe('examples/onnx_serve (shown in the README)', () => {
  it('trains 10 steps, exports, and onnxruntime agrees with condgrad on all 100 test digits', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'condgrad-onnx-'));
    try {
      const lines: string[] = [];
      const r = await onnxServe(path.join(dir, 'model.onnx'), (s) => lines.push(s));
      expect(r.agree).to.equal(100);
      expect(r.maxDiff).to.be.lessThan(1e-4);
      expect(lines[0]).to.match(/agree on 100\/100 predictions/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
