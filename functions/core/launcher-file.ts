/**
 * The portfolio launcher's own file (spec/portfolio-launcher-readme.md, "Portfolio
 * Configuration"), read for `botfolio import-launcher`: the keys Botfolio carries over, checked
 * so that a bad file is refused in one line naming its field — keys the import does not read
 * (the launcher has more) are left alone.
 */
import * as z from 'zod';
import type { ALLOCATION_STRATEGIES } from './config-schema.ts';
import { DURATION_PATTERN, MAX_DURATION_MS, parseDuration } from './duration.ts';
import { InvalidAmountError, money } from './money.ts';
import { formatPath } from './problems.ts';

/** The launcher's allocation strategies (its README's list): Botfolio has each under one name. */
export const LAUNCHER_STRATEGIES = [
  'equal_weight',
  'performance_based',
  'risk_weighted',
  'fixed_percentage',
  'custom',
] as const satisfies readonly (typeof ALLOCATION_STRATEGIES)[number][];

export const PROFIT_SHARING_METHODS = ['equal_weight', 'performance_based'] as const;

const BOT_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** A Go-style duration the launcher writes, in the one form both read ("30s", "1m", "2h"). */
const launcherDuration = z
  .string()
  .regex(DURATION_PATTERN, {
    message: 'expected a duration such as "30s", "15m" or "1h" (one number and one unit)',
    abort: true,
  })
  .refine((t) => parseDuration(t) > 0, 'expected a duration longer than zero')
  .refine((t) => parseDuration(t) <= MAX_DURATION_MS, 'expected a duration of at most "365d"');

const launcherSchema = z.object({
  description: z.string().optional(),
  bots: z
    .array(
      z.object({
        bot_id: z
          .string()
          .regex(BOT_ID, 'expected a bot id of letters, digits, "_", "." or "-" (at most 64)'),
        config_file: z.string().optional(),
        enabled: z.boolean().default(true),
      }),
    )
    .min(1, 'expected at least one bot')
    .superRefine((bots, ctx) => {
      const first = new Map<string, number>();
      bots.forEach((b, i) => {
        const j = first.get(b.bot_id);
        if (j === undefined) first.set(b.bot_id, i);
        else
          ctx.addIssue({
            code: 'custom',
            path: [i, 'bot_id'],
            input: b.bot_id,
            message: `duplicate of bots[${j}].bot_id`,
          });
      });
    }),
  portfolio: z.object({
    total_balance: z
      .number()
      .positive('expected a balance > 0')
      .refine((n) => {
        try {
          money(n);
          return true;
        } catch (e) {
          if (e instanceof InvalidAmountError) return false;
          throw e;
        }
      }, 'expected an amount with at most 8 decimals'),
    allocation_strategy: z.enum(LAUNCHER_STRATEGIES, {
      message: `expected one of ${LAUNCHER_STRATEGIES.join(', ')}`,
    }),
    shared_state_file: z.string().optional(),
    max_total_exposure: z
      .number()
      .positive('expected a number > 0')
      .max(1000, 'expected at most 1000')
      .optional(),
    max_drawdown_percent: z
      .number()
      .gt(0, 'expected a percentage in (0, 100)')
      .lt(100, 'expected a percentage in (0, 100)')
      .optional(),
    profit_sharing: z
      .object({
        enabled: z.boolean(),
        method: z
          .enum(PROFIT_SHARING_METHODS, {
            message: `expected one of ${PROFIT_SHARING_METHODS.join(', ')}`,
          })
          .optional(),
      })
      .refine((p) => !p.enabled || p.method !== undefined, {
        path: ['method'],
        message: `required when enabled: one of ${PROFIT_SHARING_METHODS.join(', ')}`,
      })
      .optional(),
  }),
  monitoring: z
    .object({
      heartbeat_interval: launcherDuration.optional(),
      health_check_interval: launcherDuration.optional(),
    })
    .optional(),
});

export type LauncherFile = z.output<typeof launcherSchema>;

/** A launcher file refused: the first problem on one line (path, what is wrong, the value). */
export class InvalidLauncherFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidLauncherFileError';
  }
}

/** Parses a launcher portfolio file; throws InvalidLauncherFileError naming the field. */
export function parseLauncherFile(input: unknown): LauncherFile {
  const parsed = launcherSchema.safeParse(input, { reportInput: true });
  if (parsed.success) return parsed.data;
  const [issue, ...more] = parsed.error.issues;
  const path = issue ? formatPath(issue.path) || '(top level)' : '(top level)';
  const value = issue && 'input' in issue && issue.input !== undefined ? issue.input : undefined;
  const what =
    issue?.code === 'invalid_type'
      ? `${value === undefined ? 'required: ' : ''}expected ${issue.expected}`
      : (issue?.message ?? 'invalid');
  const got =
    value === undefined || typeof value === 'object' ? '' : ` (got ${JSON.stringify(value)})`;
  const rest = more.length === 0 ? '' : ` (and ${more.length} more)`;
  throw new InvalidLauncherFileError(`${path}: ${what}${got}${rest}`);
}
