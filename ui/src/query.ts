// Writing keys of the runs query language (the one `shipyard runs ls --filter` reads).

const BARE = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `metrics.loss`, or `metrics.\`val/loss\`` for a name the tokenizer would split. */
export function fieldKey(prefix: "params" | "metrics" | "tags", name: string): string {
  return `${prefix}.${BARE.test(name) ? name : "`" + name + "`"}`;
}

export type Direction = "asc" | "desc";

export interface Ordering {
  key: string;
  direction: Direction;
}

/** The ordering of an `order_by` text when it is one key and a direction. */
export function parseOrdering(text: string): Ordering | null {
  const match = /^\s*(.+?)\s+(asc|desc)\s*$/i.exec(text);
  if (!match) return text.trim() ? { key: text.trim(), direction: "asc" } : null;
  return { key: match[1] as string, direction: (match[2] as string).toLowerCase() as Direction };
}
