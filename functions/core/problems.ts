/**
 * Problems in an input file (the config, a state file): where, what was there, what was
 * expected. Schema problems come from zod issues, rewritten into words a person can act on;
 * semantic ones are written by the rules themselves. Both are reported together in one error.
 */
import type { z } from 'zod';

/** One problem in a config or state file: where, what was there, what was expected. */
export interface Problem {
  readonly path: string;
  readonly value?: unknown;
  readonly message: string;
}

/** An input refused with every problem found in it, one per line. */
export class InvalidConfigError extends Error {
  readonly problems: readonly Problem[];
  constructor(problems: readonly Problem[], what = 'config') {
    super(`invalid ${what}:\n${problems.map(formatProblem).join('\n')}`);
    this.name = 'InvalidConfigError';
    this.problems = problems;
  }
}

/** A value `botfolio import-launcher` left for the trader to give: `<fill in: what>`. */
export const isPlaceholder = (v: unknown): v is string =>
  typeof v === 'string' && v.startsWith('<fill in: ') && v.endsWith('>');

/**
 * A problem whose value (or key) is a placeholder says only that: the key was left blank on
 * purpose, and what goes there is in the placeholder itself.
 */
export function withBlanksNamed(p: Problem): Problem {
  const blank = [p.value, p.path.match(/<fill in: [^>]*>/)?.[0]].find(isPlaceholder);
  if (blank === undefined) return p;
  return { path: p.path, message: `not filled in yet: ${blank.slice('<fill in: '.length, -1)}` };
}

/** `  bots[2].pool: unknown pool (…) (got "mid_frequency")` */
export function formatProblem(p: Problem): string {
  const got = p.value === undefined ? '' : ` (got ${JSON.stringify(p.value)})`;
  return `  ${p.path || '(top level)'}: ${p.message}${got}`;
}

/** `pools.low_frequency.share`, `bots[2].allocation` */
export function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((k, i) => (typeof k === 'number' ? `[${k}]` : `${i === 0 ? '' : '.'}${String(k)}`))
    .join('');
}

/** Turns zod issues into problems a person can act on. */
export function zodProblems(error: z.ZodError): Problem[] {
  return error.issues.flatMap((issue): Problem[] => {
    if (issue.code === 'unrecognized_keys') {
      // One problem per key, at the key's own path, with the value found there.
      const found: unknown = issue.input;
      return issue.keys.map((key) => {
        const value =
          typeof found === 'object' && found !== null && Object.hasOwn(found, key)
            ? (found as Record<string, unknown>)[key]
            : undefined;
        const at = formatPath([...issue.path, key]);
        const message = 'unknown key (a typo?)';
        return value === undefined ? { path: at, message } : { path: at, value, message };
      });
    }
    const path = formatPath(issue.path);
    if (issue.code === 'invalid_union' && issue.discriminator !== undefined) {
      const options = 'options' in issue ? issue.options : undefined;
      return [discriminatorProblem(path, issue.discriminator, issue.input, options)];
    }
    const input: unknown = 'input' in issue ? issue.input : undefined;
    const message = issueMessage(issue);
    if (input === undefined) {
      const missing = issue.code === 'invalid_type' || issue.code === 'invalid_union';
      return [{ path, message: missing ? `required: ${message}` : message }];
    }
    return [{ path, value: input, message }];
  });
}

/**
 * A tagged union whose tag (`type`) is missing or unknown: the tag's value and the ones allowed,
 * rather than zod's whole object.
 */
function discriminatorProblem(
  path: string,
  discriminator: string,
  input: unknown,
  options: readonly unknown[] | undefined,
): Problem {
  const value =
    typeof input === 'object' && input !== null
      ? (input as Record<string, unknown>)[discriminator]
      : undefined;
  const allowed = `expected one of ${(options ?? []).map((o) => JSON.stringify(o)).join('|')}`;
  return value === undefined
    ? { path, message: `required: ${allowed}` }
    : { path, value, message: allowed };
}

/** "expected number or string", "expected one of \"cross\"|\"isolated\"": what zod says, minus its noise. */
function issueMessage(issue: z.core.$ZodIssue): string {
  const plain = (text: string) => {
    const rest = text.replace(/^Invalid \w+: /, '').replace(/, received \w+$/, '');
    return rest.startsWith('expected') ? rest : `expected ${rest}`;
  };
  switch (issue.code) {
    case 'invalid_type':
      return `expected ${issue.expected}`;
    case 'invalid_union': {
      // A union of plain types (number | string): name them instead of "Invalid input".
      const branches = issue.errors.map((e) => (e.length === 1 ? e[0] : undefined));
      const expected = branches.map((e) =>
        e?.code === 'invalid_type' && e.path.length === 0 ? e.expected : undefined,
      );
      return expected.every((e) => e !== undefined)
        ? `expected ${expected.join(' or ')}`
        : issue.message;
    }
    case 'invalid_format':
    case 'invalid_value':
      return plain(issue.message);
    default:
      return issue.message;
  }
}
