import type { HTMLAttributes } from 'vue';

/** `data-*` attributes, which Vue's attribute types do not list. */
export type DataAttrs = Record<`data-${string}`, string>;

/** Attributes of one table row (NDataTable `row-props`): its test id and its name. */
export function rowTestAttrs(testId: string, name: string): HTMLAttributes {
  const attrs: HTMLAttributes & DataAttrs = { 'data-testid': testId, 'data-name': name };
  return attrs;
}
