import type { Table } from './format.js';

/**
 * Inline text made literal: a backslash, pipe or angle bracket in a label must neither break a table
 * nor be read as HTML by a Markdown renderer; a newline would end the table row or heading.
 */
export function escapeMarkdown(text: string): string {
  return text.replace(/[\\|<>]/g, (character) => `\\${character}`).replace(/\r?\n/g, ' ');
}

function markdownRow(cells: string[]): string {
  return `| ${cells.map(escapeMarkdown).join(' | ')} |`;
}

export function markdownTable(table: Table): string {
  return [markdownRow(table.headers), `|${table.headers.map(() => '---').join('|')}|`, ...table.rows.map(markdownRow)].join('\n');
}
