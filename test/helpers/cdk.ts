/** The project's CDK CLI (node_modules/.bin/cdk) as a child process, bounded in time. */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';

export async function runCdk(
  root: string,
  args: readonly string[],
  env: Readonly<Record<string, string>>,
  timeoutMs: number,
): Promise<string> {
  const child = spawn(resolve(root, 'node_modules/.bin/cdk'), [...args], {
    cwd: root,
    env: { ...process.env, ...env, CI: 'true', FORCE_COLOR: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => {
    output += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    output += d.toString();
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const code = await new Promise<number | null>((ok) => child.on('close', ok));
  clearTimeout(timer);
  if (code !== 0) {
    throw new Error(`cdk ${args.join(' ')} exited with ${code}:\n${output.slice(-4_000)}`);
  }
  return output;
}
