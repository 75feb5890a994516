/**
 * What the operating system says about this process: open and maximum file descriptors (mntr's
 * zk_open_file_descriptor_count / zk_max_file_descriptor_count) and the standard `process_*`
 * metrics the Prometheus endpoint exports when metricsProvider.exportJvmInfo is on.
 */
import { readdirSync, readFileSync } from 'node:fs';
import type { Metric } from '../admin/monitor.js';

/** Open descriptors, from /proc/self/fd; -1 where there is no /proc. */
export function openFileDescriptorCount(): number {
  try {
    return readdirSync('/proc/self/fd').length;
  } catch {
    return -1;
  }
}

/** The soft limit on descriptors (ulimit -n), from /proc/self/limits; -1 when unknown. */
export function maxFileDescriptorCount(): number {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith('Max open files'));
    const soft = line?.trim().split(/\s+/)[3];
    return soft === undefined || soft === 'unlimited' ? -1 : Number(soft);
  } catch {
    return -1;
  }
}

/** process_* metrics as Prometheus client libraries name them. */
export function processMetrics(startedAtMs: number): Metric[] {
  const usage = process.cpuUsage();
  const memory = process.memoryUsage();
  const out: Metric[] = [
    { kind: 'counter', name: 'process_cpu_seconds_total', value: (usage.user + usage.system) / 1e6 },
    { kind: 'gauge', name: 'process_start_time_seconds', value: Math.floor(startedAtMs / 1000) },
    { kind: 'gauge', name: 'process_resident_memory_bytes', value: memory.rss },
    { kind: 'gauge', name: 'nodejs_heap_size_used_bytes', value: memory.heapUsed },
    { kind: 'gauge', name: 'nodejs_heap_size_total_bytes', value: memory.heapTotal },
  ];
  const open = openFileDescriptorCount();
  if (open >= 0) out.push({ kind: 'gauge', name: 'process_open_fds', value: open });
  const max = maxFileDescriptorCount();
  if (max >= 0) out.push({ kind: 'gauge', name: 'process_max_fds', value: max });
  return out;
}
