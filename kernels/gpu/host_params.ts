// The gpu runtime's small host parameter arrays (a unary op's scalars, a fill value) kept on the device by content.

import type { RawBuffer } from './gpujs.js';
import type { LaunchQueue } from './queue.js';

/** Host parameter arrays kept on the device, by content. */
const HOST_PARAMS = 256;

/** Device copies of small host parameter arrays, shared by every launch with the same bits; the HOST_PARAMS most recent kept. */
export class HostParams {
  private readonly bufs = new Map<string, RawBuffer>();

  constructor(private readonly queue: LaunchQueue) {}

  /** The device copy of `p`, uploaded on first use. */
  get(p: Float32Array): RawBuffer {
    const key = Array.from(new Uint32Array(p.buffer, p.byteOffset, p.length)).join(',');
    const hit = this.bufs.get(key);
    if (hit !== undefined) {
      this.bufs.delete(key);
      this.bufs.set(key, hit);
      return hit;
    }
    const b = this.queue.upload(p);
    this.bufs.set(key, b);
    if (this.bufs.size > HOST_PARAMS) {
      const [oldKey, old] = this.bufs.entries().next().value as [string, RawBuffer];
      this.bufs.delete(oldKey);
      this.queue.free(old);
    }
    return b;
  }

  /** Frees every copy (once the recorded work that may use them is submitted). */
  clear(): void {
    for (const b of this.bufs.values()) this.queue.free(b);
    this.bufs.clear();
  }
}
