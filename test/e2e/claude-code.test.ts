import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { claudeAvailable, runClaude as runClaudeAt } from '../support/claude-code-cli.js';
import { channel, startTestGateway, type TestGateway } from '../support/start-gateway.js';
import { type ScriptedUpstream, startScriptedUpstream } from './claude-code-upstream.js';

const MARKER = 'switchboard-marker-7f3a91';
const FINAL = 'The note says the marker is present.';

let gw: TestGateway;
let upstream: ScriptedUpstream;
let project: string;
let home: string;

beforeAll(async () => {
  project = mkdtempSync(join(tmpdir(), 'sb-cc-project-'));
  home = mkdtempSync(join(tmpdir(), 'sb-cc-home-'));
  writeFileSync(join(project, 'note.txt'), `${MARKER}\n`);
  upstream = await startScriptedUpstream(join(project, 'note.txt'), FINAL);
  // Every model Claude Code asks for (its main model and the small one for side requests).
  gw = await startTestGateway({
    channels: [channel({ name: 'scripted', base_url: upstream.baseUrl, keys: ['upstream-key'] })],
  });
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
  for (const dir of [project, home]) if (dir) rmSync(dir, { recursive: true, force: true });
});

/** `claude -p <prompt>` against the gateway, with a fresh HOME and nothing but loopback traffic. */
const runClaude = (prompt: string, key: string) =>
  runClaudeAt(prompt, { baseUrl: gw.url, key, project, home });

describe.runIf(claudeAvailable())('Claude Code through Switchboard to an OpenAI-format upstream', () => {
  it('runs a Read tool call and prints the final answer; the upstream sees the file in the tool result', async () => {
    const { code, out } = await runClaude('What does note.txt say?', gw.key);
    expect(out).toContain(FINAL);
    expect(code).toBe(0);
    const call = upstream.seen.find((r) => r.json.messages?.some((m) => m.role === 'tool'));
    const result = call?.json.messages?.find((m) => m.role === 'tool');
    expect(JSON.stringify(result?.content)).toContain(MARKER);
  }, 120_000);

  it('fails at once with a wrong key: one /v1/messages request, no retry storm, an auth error', async () => {
    const before = gw.usage.length;
    const seenBefore = upstream.seen.length;
    const { code, out } = await runClaude('Hello', 'sk-wrong-key-for-switchboard');
    expect(code).not.toBe(0);
    expect(out).toMatch(/401|auth|api key/i);
    const attempts = gw.usage.slice(before).filter((r) => r.status === 401);
    expect(attempts.length).toBeGreaterThanOrEqual(1);
    expect(attempts.length).toBeLessThanOrEqual(2);
    expect(upstream.seen.length).toBe(seenBefore);
  }, 120_000);
});
