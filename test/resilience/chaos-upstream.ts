import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { seededRandom } from '../support/seeded-random.js';

/** The one right answer to request `tag`: every word carries the tag and its position. */
export const expectedAnswer = (tag: string) => Array.from({ length: 8 }, (_, i) => `w${i}-${tag} `).join('');

type Fault = 'ok' | 'status500' | 'status429' | 'hang' | 'slow-ok' | 'stall' | 'drop' | 'reset' | 'drip';
const FAULTS: Fault[] = [
  'ok',
  'ok',
  'ok',
  'status500',
  'status429',
  'hang',
  'slow-ok',
  'stall',
  'drop',
  'reset',
  'drip',
];

/**
 * An OpenAI-style upstream that gives each request a random fault (seeded). Answers are
 * unique per request so a client can tell a clean answer from a spliced one.
 */
export async function startChaosUpstream(seed: number) {
  const random = seededRandom(seed);
  const stats = { received: 0 };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      stats.received++;
      const json = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        stream?: boolean;
        messages: { content: string }[];
      };
      const tag = json.messages[0]?.content ?? '?';
      const fault = FAULTS[Math.floor(random() * FAULTS.length)] as Fault;
      const words = expectedAnswer(tag).match(/\S+ /g) ?? [];
      const cut = 1 + Math.floor(random() * (words.length - 2));
      switch (fault) {
        case 'status500':
        case 'status429':
          res.writeHead(fault === 'status500' ? 500 : 429, {
            'content-type': 'application/json',
            ...(fault === 'status429' ? { 'retry-after': '0' } : {}),
          });
          res.end(JSON.stringify({ error: { message: fault, type: 'x', code: fault } }));
          return;
        case 'hang':
          return;
        case 'reset':
          req.socket.destroy();
          return;
        default:
          break;
      }
      const delay = fault === 'slow-ok' ? 100 : 0;
      setTimeout(() => {
        if (res.destroyed) return;
        if (!json.stream) {
          if (fault === 'stall' || fault === 'drop') {
            res.writeHead(200, { 'content-type': 'application/json' });
            res.write('{"id":"x","choices":[');
            if (fault === 'drop') res.socket?.destroy();
            return;
          }
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(
            JSON.stringify({
              id: 'x',
              object: 'chat.completion',
              choices: [
                { index: 0, message: { role: 'assistant', content: words.join('') }, finish_reason: 'stop' },
              ],
            }),
          );
          return;
        }
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        let i = 0;
        const gap = fault === 'drip' ? 40 : 2;
        const timer = setInterval(() => {
          if (res.destroyed) return clearInterval(timer);
          if ((fault === 'stall' || fault === 'drop') && i === cut) {
            clearInterval(timer);
            if (fault === 'drop') res.socket?.destroy();
            return;
          }
          const word = words[i++];
          if (word === undefined) {
            clearInterval(timer);
            res.end('data: [DONE]\n\n');
            return;
          }
          res.write(
            `data: ${JSON.stringify({ id: 'x', object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content: word } }] })}\n\n`,
          );
        }, gap);
        res.on('close', () => clearInterval(timer));
      }, delay);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    stats,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
