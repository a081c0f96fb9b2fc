/** The alert channel port (core/ports.ts), which every platform's adapter here implements. */
export type { AlertChannel } from '../../core/ports.ts';
