// A static file server for the demo page on 127.0.0.1: with the COOP/COEP/CORP headers that SharedArrayBuffer (wasm threads) needs, or without them.
//
//   node web/serve.mjs [--port 8080] [--root dist] [--no-isolation]
//
// The page is then at http://127.0.0.1:PORT/demo/.
import { createServer } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.map': 'application/json',
  '.json': 'application/json',
  '.css': 'text/css; charset=utf-8',
  '.png': 'image/png',
  '.bin': 'application/octet-stream',
  '.wasm': 'application/wasm',
  '.ico': 'image/x-icon',
};

/** The headers that make a page cross-origin isolated (and let it load its own sub-resources under COEP). */
export const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

/**
 * Serves `root` on 127.0.0.1:`port` (0: any free port). Resolves { server, url, port } once
 * listening; `isolated: false` leaves out the isolation headers.
 */
export function serve({ root = 'dist', port = 8080, isolated = true } = {}) {
  const base = resolve(root);
  const server = createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    let file = normalize(join(base, path));
    if (file !== base && !file.startsWith(base + sep)) {
      res.writeHead(403).end();
      return;
    }
    try {
      if ((await stat(file)).isDirectory()) file = join(file, 'index.html');
      const body = await readFile(file);
      res.writeHead(200, {
        'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream',
        'Cache-Control': 'no-store',
        ...(isolated ? ISOLATION_HEADERS : {}),
      });
      res.end(req.method === 'HEAD' ? undefined : body);
    } catch {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end(`not found: ${path}\n`);
    }
  });
  return new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(port, '127.0.0.1', () => {
      const p = server.address().port;
      ok({ server, port: p, url: `http://127.0.0.1:${p}/` });
    });
  });
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  const opt = (name, dflt) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : dflt;
  };
  const isolated = !args.includes('--no-isolation');
  const root = opt('--root', join(fileURLToPath(new URL('..', import.meta.url)), 'dist'));
  const { url } = await serve({ root, port: Number(opt('--port', '8080')), isolated });
  console.log(
    `condgrad demo: ${url}demo/  (${isolated ? 'cross-origin isolated: wasm threads on' : 'no isolation headers: wasm on one thread'}; Ctrl-C stops)`,
  );
}
