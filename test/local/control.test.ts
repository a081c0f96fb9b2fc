/**
 * The loop's control endpoint (functions/local/control.ts): a command sent with the token is run
 * and its output and exit code come back; anything else is refused with one line; stopping
 * answers the commands already running and refuses new ones.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  type CommandAnswer,
  type ControlServer,
  callLoop,
  type LoopCommand,
  loopCommands,
  MAX_BODY_BYTES,
  oneAtATime,
  startControlServer,
  TOKEN_HEADER,
} from '../../functions/local/control.ts';
import type { Live } from '../../functions/local/live.ts';

const TOKEN = 'a'.repeat(48);

/** Echoes its text after `waitMs`, exit code 3 when asked. */
const ECHO: LoopCommand<{ text: string; waitMs: number; fail: boolean }> = {
  name: 'echo',
  args: z.object({
    text: z.string(),
    waitMs: z.number().default(0),
    fail: z.boolean().default(false),
  }),
  async run(_rt, { text, waitMs, fail }) {
    await sleep(waitMs);
    return { exitCode: fail ? 3 : 0, stdout: `${text}\n`, stderr: fail ? 'failed\n' : '' };
  },
};

let server: ControlServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function serve(): Promise<{ live: Live; ran: string[] }> {
  const ran: string[] = [];
  const exclusive = oneAtATime();
  server = await startControlServer({
    token: TOKEN,
    commands: loopCommands(ECHO),
    // No runtime here: the commands under test do not use it.
    execute: (command, args) =>
      exclusive(async () => {
        const answer: CommandAnswer = await command.run(
          undefined as never, // ECHO ignores the runtime
          args,
        );
        ran.push(answer.stdout.trim());
        return answer;
      }),
  });
  const live: Live = {
    pid: process.pid,
    holder: 'botfolio run',
    store: 'http://127.0.0.1:9',
    token: TOKEN,
    control: server.url,
  };
  return { live, ran };
}

const post = (url: string, body: string, token = TOKEN) =>
  fetch(`${url}/command`, {
    method: 'POST',
    headers: { [TOKEN_HEADER]: token, 'content-type': 'application/json' },
    body,
  });

describe('the control endpoint of botfolio run', () => {
  it('runs a command and answers what it printed and its exit code', async () => {
    const { live } = await serve();
    const answer = await callLoop('/data', live, 'echo', { text: 'hello', fail: true });
    expect(answer).toEqual({ exitCode: 3, stdout: 'hello\n', stderr: 'failed\n' });
  });

  it('refuses a caller without the token of live.json', async () => {
    const { live, ran } = await serve();
    const res = await post(live.control ?? '', JSON.stringify({ name: 'echo', args: {} }), 'x');
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({
      error: `${TOKEN_HEADER}: not the token of this loop's live.json`,
    });
    await expect(callLoop('/data', { ...live, token: 'b'.repeat(48) }, 'echo', {})).rejects.toThrow(
      `botfolio run (pid ${process.pid}) on /data refused \`echo\`: ${TOKEN_HEADER}: not the token`,
    );
    expect(ran).toEqual([]);
  });

  it('refuses a body larger than its bound', async () => {
    const { live, ran } = await serve();
    const text = 'x'.repeat(MAX_BODY_BYTES);
    const res = await post(live.control ?? '', JSON.stringify({ name: 'echo', args: { text } }));
    expect(res.status).toBe(413);
    expect(ran).toEqual([]);
  });

  it('names an unknown command and the commands it runs, and bad arguments', async () => {
    const { live } = await serve();
    await expect(callLoop('/data', live, 'deposit', {})).rejects.toThrow(
      'refused `deposit`: deposit: the loop runs no such command (it runs: echo)',
    );
    await expect(callLoop('/data', live, 'echo', { text: 5 })).rejects.toThrow(
      /refused `echo`: echo: bad arguments: .*text/,
    );
    const res = await post(live.control ?? '', '{not json');
    expect(res.status).toBe(400);
  });

  it('runs two commands sent at once one after the other', async () => {
    const { live, ran } = await serve();
    const [slow, fast] = await Promise.all([
      callLoop('/data', live, 'echo', { text: 'slow', waitMs: 200 }),
      sleep(20).then(() => callLoop('/data', live, 'echo', { text: 'fast' })),
    ]);
    expect([slow.stdout, fast.stdout]).toEqual(['slow\n', 'fast\n']);
    expect(ran).toEqual(['slow', 'fast']);
  });

  it('answers a command already running when it stops, and refuses new ones', async () => {
    // Prepare
    const { live } = await serve();
    const running = callLoop('/data', live, 'echo', { text: 'mid-way', waitMs: 300 });
    await sleep(50);
    // Act: as the loop does on Ctrl+C
    const stopping = server?.close();
    const late = callLoop('/data', live, 'echo', { text: 'late' });
    // Assess
    await expect(late).rejects.toThrow(
      'refused `echo`: the loop is stopping: run the command again',
    );
    await expect(running).resolves.toMatchObject({ exitCode: 0, stdout: 'mid-way\n' });
    await stopping;
    server = undefined;
    await expect(callLoop('/data', live, 'echo', { text: 'after' })).rejects.toThrow(
      `botfolio run (pid ${process.pid}) on /data could not be reached for \`echo\` (it stopped?)`,
    );
  });
});
