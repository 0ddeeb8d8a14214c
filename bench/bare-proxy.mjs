import { createServer } from 'node:http';
import { pathToFileURL } from 'node:url';
import { Pool } from 'undici';

/**
 * The floor: the least a Node gateway can do per request on this machine. A node:http server and
 * one undici Pool to the upstream; it reads the whole request body, POSTs it upstream (same path,
 * content type and authorization), and answers with the upstream's status and content type: a
 * JSON body read whole and written with its length, an SSE body written chunk by chunk as it
 * arrives (as a gateway relays a stream). No auth, no parsing, no routing, no accounting.
 * `GET /health` answers 200, so that a bench can wait for it as it waits for a gateway.
 *
 * `npm run bench` starts it as its own process (`node bench/bare-proxy.mjs <upstream>`: plain
 * JavaScript, so that no loader weighs on the memory it reports) and drives it with the same
 * scenarios as the gateway: its CPU per request is what any Node gateway pays for two HTTP hops
 * before it does any work of its own, and its RSS what such a process weighs. Prints
 * `listening <port>`. `bench/floor-in-shared-bench.sh` runs it in ../shared/bench/run-bench.sh
 * in Switchboard's place, beside Portkey.
 */
export function startBareProxy(upstream, { port = 0, host = '127.0.0.1' } = {}) {
  const pool = new Pool(upstream, { connections: 256, pipelining: 1 });

  const forwarded = (headers) => {
    const out = {};
    if (headers['content-type']) out['content-type'] = headers['content-type'];
    if (headers.authorization) out.authorization = headers.authorization;
    return out;
  };

  const relay = async (req, res, body) => {
    const answer = await pool.request({
      method: 'POST',
      path: req.url ?? '/',
      headers: forwarded(req.headers),
      body,
    });
    const type = answer.headers['content-type'];
    const contentType = typeof type === 'string' ? type : 'application/octet-stream';
    if (contentType.startsWith('text/event-stream')) {
      res.writeHead(answer.statusCode, { 'content-type': contentType, 'cache-control': 'no-cache' });
      for await (const chunk of answer.body) res.write(chunk);
      res.end();
      return;
    }
    const whole = Buffer.from(await answer.body.arrayBuffer());
    res.writeHead(answer.statusCode, { 'content-type': contentType, 'content-length': whole.length });
    res.end(whole);
  };

  const server = createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/health') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
      return;
    }
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      relay(req, res, chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)).catch((err) => {
        if (res.headersSent) res.destroy();
        else res.writeHead(502, { 'content-type': 'text/plain' }).end(String(err));
      });
    });
  });
  server.keepAliveTimeout = 65_000;
  const close = () => {
    server.closeAllConnections();
    return new Promise((done) => server.close(() => pool.close().then(done)));
  };
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve({ port: server.address().port, close }));
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const upstream = process.argv[2];
  if (!upstream) {
    process.stderr.write('usage: bare-proxy.mjs <upstream origin, e.g. http://127.0.0.1:1234>\n');
    process.exit(2);
  }
  const proxy = await startBareProxy(upstream);
  process.stdout.write(`listening ${proxy.port}\n`);
  process.on('SIGTERM', () => {
    proxy.close().then(() => process.exit(0));
  });
}
