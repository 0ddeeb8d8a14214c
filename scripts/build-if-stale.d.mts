export interface BuildTarget {
  readonly name: string;
  readonly script: string;
  readonly output: string;
  readonly sources: readonly string[];
}

export declare const TARGETS: readonly BuildTarget[];

export declare function newestFile(path: string): { file: string; mtimeMs: number } | null;

export declare function staleTargets(
  root: string,
  targets?: readonly BuildTarget[],
): Array<BuildTarget & { reason: string }>;
