export interface CoreBundleReport {
  /** Size of the minified bundle. */
  readonly bytes: number;
  /** Source files in it. */
  readonly inputs: number;
  /** Each Node builtin, Node-only file or heavy package reached, with the import chain to it. */
  readonly problems: readonly string[];
}

export function checkCoreBundle(extraEntries?: readonly string[]): Promise<CoreBundleReport>;
