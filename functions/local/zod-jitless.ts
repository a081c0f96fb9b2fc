/**
 * Turns off zod's compiled fast path for the CLI: a command parses its config and files once or a
 * few times, and the fast path — code zod builds with `new Function` for each object schema,
 * which Node's compile cache cannot keep — costs a short command more than it saves. zod decides
 * it when a schema is built, so the CLI's entry imports this module first. The same checks and
 * messages either way.
 *
 * zod keeps its settings on `globalThis.__zod_globalConfig` (zod/v4/core/core.js, what
 * `z.config()` writes), so this sets them there without loading zod: `status`, which never builds
 * a schema, never pays for zod's import. test/local/zod-jitless.test.ts checks zod still reads it.
 */
const settings = globalThis as { __zod_globalConfig?: Record<string, unknown> };
settings.__zod_globalConfig = { ...settings.__zod_globalConfig, jitless: true };
