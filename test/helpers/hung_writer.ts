// A writer that stops forever in the middle of writeFileAtomic (its temp file open and half written), for the kill -9 tests.
//
//   node --import tsx test/helpers/hung_writer.ts <file>
// prints "writing <temp file name>" once the temp file exists, then blocks until killed.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic } from '../../nn/atomic_write.js';

const file = process.argv[2];
const dir = path.dirname(path.resolve(file));
const first = new Uint8Array(4096).fill(7);
const chunks = [first, first];
// The second chunk's getter runs after the first chunk was written to the temp file.
Object.defineProperty(chunks, 1, {
  get() {
    const tmp = fs.readdirSync(dir).find((n) => n.includes(`.${process.pid}.`) && n.endsWith('.tmp'));
    process.stdout.write(`writing ${tmp}\n`);
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
    return first;
  },
});
writeFileAtomic('hung_writer', file, chunks);
