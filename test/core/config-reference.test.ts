/** The config reference documents every key of the schema, and the README shows it as generated. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { withReference } from '../../bin/docs.ts';
import { CONFIG_REFERENCE } from '../../functions/core/config-reference.ts';
import { fileSchema } from '../../functions/core/config-schema.ts';
import { root } from '../helpers/cli.ts';

/** Every leaf key path of a schema: records as `<name>` (from `names`), arrays as `[]`. */
function keyPaths(schema: z.ZodType, prefix: string, names: Record<string, string>): string[] {
  let s: z.ZodType = schema;
  // unwrap optional/default/prefault/pipe wrappers down to the shape
  for (;;) {
    const def = s.def as { type: string; innerType?: z.ZodType; in?: z.ZodType };
    if (def.innerType) s = def.innerType;
    else if (def.type === 'pipe' && def.in) s = def.in;
    else break;
  }
  // A tagged union (alerts.channels[]): the keys of every variant, each once.
  if (s instanceof z.ZodDiscriminatedUnion)
    return [...new Set(s.options.flatMap((o) => keyPaths(o as z.ZodType, prefix, names)))];
  if (s instanceof z.ZodObject)
    return Object.entries(s.shape).flatMap(([k, v]) =>
      keyPaths(v as z.ZodType, prefix ? `${prefix}.${k}` : k, names),
    );
  if (s instanceof z.ZodRecord)
    return keyPaths(s.valueType as z.ZodType, `${prefix}.<${names[prefix] ?? 'key'}>`, names);
  if (s instanceof z.ZodArray) return keyPaths(s.element as z.ZodType, `${prefix}[]`, names);
  return [prefix];
}

describe('the config reference', () => {
  it('has one entry for every key of the config schema, and none for a key it lacks', () => {
    const paths = keyPaths(fileSchema, '', {
      pools: 'pool',
      exchanges: 'exchange',
      'emergency_reserve.split': 'exchange',
    });
    expect(paths.length).toBeGreaterThan(40);
    expect(CONFIG_REFERENCE.map((k) => k.path).sort()).toEqual([...paths].sort());
  });

  it('is what the README shows (npm run docs)', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    expect(withReference(readme)).toBe(readme);
  });
});
