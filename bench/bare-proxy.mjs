import { createServer } from 'node:http';
import { Pool } from 'undici';

/**
 * The floor: the least a Node gateway can do per request on this machine. A node:http server and
 * one undici Pool to the upstream; it reads the whole request body, POSTs it upstream (same path,
 * content type and authorization), reads the whole upstream body and writes its status, content
 * type and body back. No auth, no parsing, no routing, no accounting.
 *
 * `npm run bench` starts it as its own process (`node bench/bare-proxy.mjs <upstream>`: plain
 * JavaScript, so that no loader weighs on the memory it reports) and drives it with the same
 * scenarios as the gateway: its CPU per request is what any Node gateway pays for two HTTP hops
 * before it does any work of its own, and its RSS what such a process weighs. Prints
 * `listening <port>`.
 */

const upstream = process.argv[2];
if (!upstream) {
  process.stderr.write('usage: bare-proxy.mjs <upstream origin, e.g. http://127.0.0.1:1234>\n');
  process.exit(2);
}
const pool = new Pool(upstream, { connections: 256, pipelining: 1 });

const forwarded = (headers) => {
  const out = {};
  if (headers['content-type']) out['content-type'] = headers['content-type'];
  if (headers.authorization) out.authorization = headers.authorization;
  return out;
};

const server = createServer((req, res) => {
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', async () => {
    try {
      const answer = await pool.request({
        method: 'POST',
        path: req.url ?? '/',
        headers: forwarded(req.headers),
        body: chunks.length === 1 ? chunks[0] : Buffer.concat(chunks),
      });
      const body = Buffer.from(await answer.body.arrayBuffer());
      const type = answer.headers['content-type'];
      res.writeHead(answer.statusCode, {
        'content-type': typeof type === 'string' ? type : 'application/octet-stream',
        'content-length': body.length,
      });
      res.end(body);
    } catch (err) {
      res.writeHead(502, { 'content-type': 'text/plain' }).end(String(err));
    }
  });
});

server.keepAliveTimeout = 65_000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`listening ${server.address().port}\n`);
});
process.on('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => pool.close().then(() => process.exit(0)));
});
