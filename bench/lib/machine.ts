// What the numbers were measured on.
import { cpus, totalmem, release, hostname } from 'node:os';
import { readFileSync } from 'node:fs';

export interface MachineInfo {
  cores: number;
  cpuModel: string;
  memoryGiB: number;
  kernel: string;
  node: string;
  os: string;
  host: string;
}

export function machineInfo(): MachineInfo {
  let os = 'linux';
  try {
    os = /^PRETTY_NAME="?([^"\n]+)"?/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? os;
  } catch {
    // not Linux, or no os-release
  }
  return {
    cores: cpus().length,
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    kernel: release(),
    node: process.version,
    os,
    host: hostname(),
  };
}
