// The README's safetensors/timm example runs as shown: the model and the timm blocks round-trip exactly.
import { expect } from 'chai';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { timmWeights } from '../../examples/timm_weights.js';

describe('examples/timm_weights (shown in the README)', () => {
  it('saves and reloads the model by name, and its CondConv blocks through timm names', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'condgrad-ex-'));
    const lines: string[] = [];
    const r = await timmWeights(dir, (s) => lines.push(s));
    expect(r.modelDiff).to.equal(0);
    expect(r.blockDiff).to.equal(0);
    expect(r.timmNames).to.include.members([
      'blocks.0.routing_fn.weight',
      'blocks.0.conv_pw.weight',
      'blocks.0.bn1.running_mean',
      'blocks.1.conv_pwl.weight',
      'blocks.1.bn3.running_var',
    ]);
    expect(r.timmNames.every((n) => /^blocks\.[01]\.(routing_fn|conv_pw|conv_dw|conv_pwl|bn[123])\.(weight|bias|running_mean|running_var)$/.test(n))).to.equal(
      true,
    );
    expect(lines.join('\n')).to.match(/outputs differ by 0/);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
