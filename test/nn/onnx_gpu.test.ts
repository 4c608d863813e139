// ONNX export of a model that lives on the gpu: a named error pointing to toAsync, then the moved model exports and matches in onnxruntime.

import '../../kernels/register.js';
import { expect } from 'chai';
import { createModel } from '../../nn/models/index.js';
import { exportOnnx } from '../../nn/onnx/index.js';
import { describeGpu } from '../helpers/gpu.js';
import { expectOnnxMatches } from '../helpers/onnx.js';
import { expectError } from '../helpers/tensors.js';

describeGpu('exportOnnx of a gpu model', (gpu) => {
  it("mobilenet-v2 convert=last on the gpu: named error; after await model.toAsync('cpu') it exports and matches at batch 1 and 3", async () => {
    const m = createModel('mobilenet-v2', { convert: 'last', experts: 3, width: 0.25, inputSize: 8, seed: 4, backend: gpu() });
    expectError(() => exportOnnx(m, { inputShape: m.inputShape }), 'exportOnnx', 'is on the gpu backend', "await model.toAsync('cpu')");
    await m.toAsync('cpu');
    expect(m.parameters().every((p) => p.backend.name === 'cpu')).to.equal(true);
    await expectOnnxMatches(m, exportOnnx(m, { inputShape: m.inputShape }), m.inputShape, [1, 3]);
  });
});
