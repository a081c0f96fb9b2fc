/**
 * Text tables for a terminal: box-drawn (the board, the lab's results) or bare columns (the
 * journal). The layout is cli-table3's, which these tables used before: a cell is padded by one
 * space each side inside `│`, the header is underlined by `├─┼─┤`, rows follow without rules, and
 * a TTY gets a cyan header and grey borders. Written here because cli-table3's layout cost about
 * 30 ms at each cold start, more than half a Node start, on every `status` (README "Start-up"),
 * and these tables need nothing but widths and alignment.
 *
 * A cell's width is its code points once terminal escapes are removed: the tables hold ASCII
 * names and numbers and one-column symbols (`—`, `≥`, `·`, `→`), never wide East Asian text.
 */
import { stripVTControlCharacters, styleText } from 'node:util';

export type Align = 'left' | 'right';

export interface TableSpec {
  readonly head: readonly string[];
  /** Per column; left where not given. */
  readonly align?: readonly Align[];
  /** `box` draws borders; `columns` separates cells by two spaces, no padding before them. */
  readonly layout?: 'box' | 'columns';
  /** Cyan header and grey borders (colours only where the stream takes them, as styleText does). */
  readonly colour?: boolean;
}

const widthOf = (text: string) => [...stripVTControlCharacters(text)].length;

function pad(text: string, width: number, align: Align): string {
  const room = ' '.repeat(Math.max(0, width - widthOf(text)));
  return align === 'right' ? room + text : text + room;
}

/** The table as lines joined by `\n`; every row has the header's columns (missing cells empty). */
export function renderTable(spec: TableSpec, rows: readonly (readonly string[])[]): string {
  const columns = spec.head.length;
  const cellsOf = (row: readonly string[]) =>
    Array.from({ length: columns }, (_, i) => row[i] ?? '');
  const body = rows.map(cellsOf);
  const widths = spec.head.map((h, i) =>
    Math.max(widthOf(h), ...body.map((r) => widthOf(r[i] ?? ''))),
  );
  const alignOf = (i: number): Align => spec.align?.[i] ?? 'left';
  const head = (text: string) => (spec.colour ? styleText('cyan', text) : text);

  if (spec.layout === 'columns') {
    const line = (cells: string[], style: (text: string) => string) =>
      cells.map((c, i) => style(`${pad(c, widths[i] ?? 0, alignOf(i))} `)).join('  ');
    return [line(cellsOf(spec.head), head), ...body.map((r) => line(r, (t) => t))].join('\n');
  }

  const border = (text: string) => (spec.colour ? styleText('gray', text) : text);
  // cli-table3 colours each column's stretch of a rule apart; kept so a TTY sees the same bytes.
  const rule = (left: string, mid: string, right: string) =>
    widths
      .map((w, i) =>
        border(`${i === 0 ? left : mid}${'─'.repeat(w + 2)}${i === columns - 1 ? right : ''}`),
      )
      .join('');
  const line = (cells: string[], style: (text: string) => string) =>
    `${cells.map((c, i) => `${border('│')}${style(` ${pad(c, widths[i] ?? 0, alignOf(i))} `)}`).join('')}${border('│')}`;
  return [
    rule('┌', '┬', '┐'),
    line(cellsOf(spec.head), head),
    ...(body.length > 0 ? [rule('├', '┼', '┤')] : []),
    ...body.map((r) => line(r, (t) => t)),
    rule('└', '┴', '┘'),
  ].join('\n');
}
