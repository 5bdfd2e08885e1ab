/** Starts the real hub (`bin/manifold serve`) as a child process, as users start it. */
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface HubProcess {
  process: ChildProcess;
  url: string;
  /** Sends the signal and waits for the exit. */
  kill(signal: NodeJS.Signals): Promise<void>;
}

const BIN = new URL('../../bin/manifold', import.meta.url).pathname;

/**
 * Starts the hub and resolves with its URL once it listens; `env` adds to the test's environment;
 * `startMs`: how long it may take to listen (default 60 s: migrating a fresh schema on a loaded machine).
 */
export function startHubProcess(
  configFile: string,
  env: NodeJS.ProcessEnv = {},
  startMs = 60_000,
): Promise<HubProcess> {
  const child = spawn(BIN, ['serve', '--config', configFile], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`hub did not start in ${startMs} ms`)), startMs);
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.once('exit', (code) => reject(new Error(`hub exited with ${code}: ${stderr}`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (!line.includes('manifold hub listening')) return;
      clearTimeout(timer);
      resolve({
        process: child,
        url: (JSON.parse(line) as { url: string }).url,
        kill: async (signal) => {
          child.kill(signal);
          await exited;
        },
      });
    });
  });
}
