/**
 * Where the operator's commands find the books: the local data folder (the embedded store,
 * local-store.ts), or a deployed stack's tables (`--stack NAME`, DESIGN.md §12), found through the
 * stack's outputs with the usual AWS settings (region, profile; `AWS_ENDPOINT_URL` for an
 * emulator). The same store adapter either way, so every command reads and writes the same items
 * and prints the same output.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { dynamoStores } from '../adapters/dynamodb/store.ts';
import {
  type DeployedStack,
  DeployedStackError,
  describeDeployedStack,
} from '../adapters/stack-outputs.ts';
import type { Config } from '../core/config.ts';
import type { PortfolioState } from '../core/state.ts';
import type { Stores } from '../core/store-ports.ts';
import { dataDirOf, withLocalStore } from './local-store.ts';

/** A local data folder (default `.local/<portfolio>`), or a deployed stack by name. */
export type BooksAt =
  | { readonly dir?: string; readonly stack?: undefined }
  | { readonly stack: string };

/** The stack named, checked to manage the config's portfolio. */
export async function deployedStackOf(config: Config, stackName: string): Promise<DeployedStack> {
  const stack = await describeDeployedStack(stackName);
  if (stack.portfolioId !== config.portfolioId) {
    throw new DeployedStackError(
      `stack ${stackName} manages portfolio ${stack.portfolioId}, the config ${config.portfolioId}: give the config it was deployed with`,
    );
  }
  return stack;
}

export async function withStores<T>(
  config: Config,
  at: BooksAt,
  fn: (stores: Stores) => Promise<T>,
): Promise<T> {
  if (at.stack === undefined) return withLocalStore(config, at.dir, fn);
  const stack = await deployedStackOf(config, at.stack);
  const client = new DynamoDBClient({});
  try {
    return await fn(
      dynamoStores(client, {
        state: stack.stateTable,
        performance: stack.performanceTable,
        transactions: stack.transactionsTable,
      }),
    );
  } finally {
    client.destroy();
  }
}

/** Runs `fn` on the store and its stored state, or explains there is none yet (exit 1). */
export function withStoredState(
  config: Config,
  at: BooksAt,
  fn: (stores: Stores, state: PortfolioState) => Promise<number> | number,
): Promise<number> {
  return withStores(config, at, async (stores) => {
    const state = await stores.portfolio.load(config.portfolioId);
    if (state) return fn(stores, state);
    process.stderr.write(
      at.stack === undefined
        ? `no state yet in ${dataDirOf(config, at.dir)}: run \`botfolio cycle\` first\n`
        : `no state yet in stack ${at.stack}: its first cycle has not run\n`,
    );
    return 1;
  });
}
