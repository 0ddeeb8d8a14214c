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
  /** The owning user (tenant). */
  readonly userId: string;
  /** That user's name (config such as `limits.per_user` may name a user by it). */
  readonly userName: string;
  /** Stored limits, for the limits layer; null fields = unlimited. */
  readonly limits: {
    readonly rpm: number | null;
    readonly rph: number | null;
    readonly tpm: number | null;
    readonly concurrent: number | null;
    readonly budget: number | null;
  };
  /** When set, the key's traffic may only go to this channel id. */
  readonly channelId: string | null;
  /** "Bring your own key": requests go out with this upstream key, to this provider only. */
  readonly byok: { readonly provider: string; readonly apiKey: string } | null;
}
