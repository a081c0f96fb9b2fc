/**
 * Cycle ids: a cycle is named by its schedule slot (usecases/cycle.ts plans with it; `status`
 * shows it), on its own so a reader of the books names the slot without loading the cycle.
 */
import { formatDuration } from './duration.ts';

/**
 * The cycle id of a schedule slot: the slot's start and the interval, e.g. 20261120T1215Z-15m.
 * The interval is part of it, so a changed `check_interval` can never give a new cycle the id
 * (and so the transfer ids) of an old slot.
 */
export function cycleIdFor(at: Date, intervalMs: number): string {
  const slot = new Date(Math.floor(at.getTime() / intervalMs) * intervalMs);
  const start = slot
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z')
    .replace(/00Z$/, 'Z');
  return `${start}-${formatDuration(intervalMs)}`;
}

/**
 * The cycle id of an operator's operation made at `at` (`op-20261120T121530Z`): unique per second
 * and never a slot's, so an operation's journal ids never meet a cycle's.
 */
export function operationCycleId(at: Date): string {
  return `op-${at
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z')}`;
}
