// Shared helpers of the benchmarks: child processes that log their URL, and machine facts.
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';

/**
 * Starts a process whose stdout goes to a file in `dir`; resolves once `readyPattern` appears in it (its
 * first group is the `url`), or fails after `timeoutMs`.
 */
export async function startProcess(dir, command, args, readyPattern, env = {}, timeoutMs = 20_000) {
  const logFile = join(dir, `${Date.now()}-${Math.random().toString(36).slice(2)}.log`);
  const log = openSync(logFile, 'w');
  const child = spawn(command, args, { stdio: ['ignore', log, 'inherit'], env: { ...process.env, ...env } });
  closeSync(log);
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  for (let waited = 0; waited < timeoutMs; waited += 50) {
    const match = readyPattern.exec(readFileSync(logFile, 'utf8'));
    if (match) return { child, url: match[1] };
    if (exited) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${command} did not start; see ${logFile}`);
}

/**
 * Starts `bin/manifold serve --config <file>`; resolves with its child and URL once it listens.
 * BENCH_HUB_NODE_ARGS (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`) runs it as `node <args> dist/cli/main.js`
 * with bin/manifold's own flag instead, to profile the hub, not the driver (Node 20 refuses --cpu-prof in
 * NODE_OPTIONS). `options.cpu` (e.g. `1` or `0,1`) pins the process to those cores with `taskset -c`, to
 * tell CPU contention from lock contention; `options.timeoutMs` bounds the start-up (default 20 s).
 */
export function startHub(dir, configFile, options = {}) {
  const root = new URL('..', import.meta.url).pathname;
  const serve = ['serve', '--config', configFile];
  const nodeArgs = process.env.BENCH_HUB_NODE_ARGS?.split(/\s+/).filter(Boolean);
  let [command, args] = nodeArgs
    ? [process.execPath, ['--max-semi-space-size=4', ...nodeArgs, join(root, 'dist/cli/main.js'), ...serve]]
    : [join(root, 'bin/manifold'), serve];
  if (options.cpu !== undefined) [command, args] = ['taskset', ['-c', String(options.cpu), command, ...args]];
  return startProcess(dir, command, args, /"url":"([^"]+)"/, options.env, options.timeoutMs);
}

/** Sends SIGTERM and waits for the exit. */
export async function stop(child) {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

/** One line describing the machine. */
export function machine() {
  return `${cpus().length} × ${cpus()[0]?.model.trim()}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
}

/** Resident memory of a process, in MiB (Linux). */
export function rssMiB(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return kib / 1024;
}

/** CPU time (user + system, every thread) a process has used so far, in seconds (Linux). */
export function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
}

/** The p-th percentile (0..100) of numbers. */
export function percentile(values, p) {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}
