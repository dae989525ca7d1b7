// How busy the rest of the machine was during a phase. The benchmark shares its machine (other sessions' test
// runs), so each phase reports the CPU that processes other than the broker and the benchmark used (from
// /proc/stat, minus our own two processes) and the share of time some task waited for I/O (Linux PSI).
// Figures from a phase where others were busy are not comparable with a quiet one.
import { readFileSync } from 'node:fs';

export interface MachineReading {
  at: number;
  busyCpuSeconds: number;
  ioStallMicros: number;
}

export interface MachineLoad {
  /** Cores' worth of CPU used by other processes on average over the phase. */
  otherCores: number | undefined;
  /** Share (0–1) of the phase in which some task waited for I/O. */
  ioStall: number | undefined;
}

const USER_HZ = 100;

function busyCpuSeconds(): number {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0];
    const [, user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).map(Number);
    return (user + nice + system + irq + softirq + steal) / USER_HZ;
  } catch {
    return Number.NaN;
  }
}

function ioStallMicros(): number {
  try {
    const match = /^some .*total=(\d+)/m.exec(readFileSync('/proc/pressure/io', 'utf8'));
    return match ? Number(match[1]) : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

export function readMachine(): MachineReading {
  return { at: performance.now(), busyCpuSeconds: busyCpuSeconds(), ioStallMicros: ioStallMicros() };
}

/** The load since `before`, given the CPU seconds our own processes used meanwhile. */
export function machineLoadSince(before: MachineReading, ownCpuSeconds: number): MachineLoad {
  const after = readMachine();
  const seconds = (after.at - before.at) / 1000;
  const others = after.busyCpuSeconds - before.busyCpuSeconds - ownCpuSeconds;
  const stall = (after.ioStallMicros - before.ioStallMicros) / 1e6;
  return {
    otherCores: Number.isFinite(others) && seconds > 0 ? Math.max(0, others / seconds) : undefined,
    ioStall: Number.isFinite(stall) && seconds > 0 ? Math.min(1, stall / seconds) : undefined,
  };
}
