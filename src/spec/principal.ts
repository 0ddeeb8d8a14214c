/** Who is calling, as established by client-key authentication. */
export interface Principal {
  readonly keyId: string;
  readonly keyName: string;
  /** Visible part of the key, e.g. `sk-…AbCd`; safe to log. */
  readonly keyHint: string;
  /** Allowed model patterns; empty means every model. */
  readonly models: readonly string[];
  /** `models` compiled once per key lookup. */
  readonly allowsModel: (model: string) => boolean;
  /** The key's pipeline name (`default` unless set). */
  readonly purpose: string;
}
