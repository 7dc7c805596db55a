/** The machine description every benchmark result file carries. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';

function cpuModel(): string {
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('model name'));
    return line?.split(':')[1]?.trim() ?? cpus()[0]?.model ?? 'unknown';
  } catch {
    return cpus()[0]?.model ?? 'unknown';
  }
}

function goVersion(): string {
  try {
    return execFileSync('go', ['version']).toString().trim();
  } catch {
    return 'go: not found';
  }
}

export function machine(): string {
  return [
    `- date: ${new Date().toISOString()}`,
    `- nproc: ${cpus().length}`,
    `- CPU: ${cpuModel()}`,
    `- memory: ${(totalmem() / 2 ** 30).toFixed(1)} GiB`,
    `- node: ${process.version}`,
    `- ${goVersion()}`,
    `- OS: ${process.platform} ${process.arch}`,
    `- load average at the end (1/5/15 min): ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' / ')}`,
  ].join('\n');
}
