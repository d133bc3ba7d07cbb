/** A compact cli-table3 table: one border around, no rules between rows. */
import Table from 'cli-table3';

/** Make a compact table with the given header; colour only when asked. */
export function compactTable(head: string[], color: boolean, colAligns?: Array<'left' | 'right' | 'center'>): Table.Table {
  return new Table({
    head,
    ...(colAligns ? { colAligns } : {}),
    chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' },
    style: { head: color ? ['cyan'] : [], border: color ? ['grey'] : [], 'padding-left': 1, 'padding-right': 1 },
  });
}
