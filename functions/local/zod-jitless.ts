/**
 * Turns off zod's compiled fast path for the CLI: a command parses its config and files once or a
 * few times, and the fast path — code zod builds with `new Function` for each object schema,
 * which Node's compile cache cannot keep — costs a short command more than it saves. zod decides
 * it when a schema is built, so the CLI's entry imports this module first. The same checks and
 * messages either way.
 */
import * as z from 'zod';

z.config({ jitless: true });
