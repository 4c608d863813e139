// Types of serve.mjs (the demo's static server).
import type { Server } from 'node:http';

/** The headers that make a page cross-origin isolated. */
export declare const ISOLATION_HEADERS: Record<string, string>;
/** Serves `root` on 127.0.0.1:`port` (0: any free port), with the isolation headers unless `isolated` is false. */
export declare function serve(opts?: { root?: string; port?: number; isolated?: boolean }): Promise<{ server: Server; port: number; url: string }>;
