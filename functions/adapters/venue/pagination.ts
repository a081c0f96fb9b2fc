/**
 * Pagination as the exchanges do it: by cursor (Bitget's `idLessThan`: pass the last id of a page
 * to get the next one) or by page number (Binance's `page`); stop at a short page. A cursor that
 * does not move, or more pages than any portfolio can have, means the answers are not what we
 * think: stop rather than loop.
 */
import { ccxtErrors } from './ccxt-errors.ts';

export interface PageOptions {
  /** Items asked for per page; a page with fewer is the last. */
  readonly pageSize: number;
  /** Pages read at most. @default 200 */
  readonly maxPages?: number;
}

/** Every item of every page, in order. */
export async function collectPages<T>(
  fetchPage: (cursor: string | undefined) => Promise<readonly T[]>,
  cursorOf: (item: T) => string,
  options: PageOptions,
): Promise<T[]> {
  const maxPages = options.maxPages ?? 200;
  const items: T[] = [];
  let cursor: string | undefined;
  for (let page = 1; page <= maxPages; page++) {
    const got = await fetchPage(cursor);
    items.push(...got);
    const last = got.at(-1);
    if (got.length < options.pageSize || last === undefined) return items;
    const next = cursorOf(last);
    if (next === cursor) {
      throw new ccxtErrors.BadResponse(`pagination did not advance past id ${next}`);
    }
    cursor = next;
  }
  throw new ccxtErrors.BadResponse(`pagination went past ${maxPages} pages`);
}

/** Every item of pages 1, 2, … (page numbers, as Binance counts them), in order. */
export function collectNumberedPages<T>(
  fetchPage: (page: number) => Promise<readonly T[]>,
  options: PageOptions,
): Promise<T[]> {
  let page = 0;
  return collectPages(
    (cursor) => fetchPage(cursor === undefined ? 1 : Number(cursor)),
    () => String(++page + 1),
    options,
  );
}
