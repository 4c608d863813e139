// Atomic file writes and the reaping of temp files that killed writers left behind: the names nn/ and the public API use (they live in core/platform/files, which the browser build swaps out).

export { writeFileAtomic, reapStaleTempFiles, tempFileName, STALE_TEMP_MS, type ReapOptions } from '../core/platform/files.js';
