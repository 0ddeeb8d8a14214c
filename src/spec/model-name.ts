/**
 * The longest model name accepted, from a client or in the configuration. Real ones stay under
 * ~120 characters (Bedrock ARNs, Fireworks paths); the name is a usage record column and a
 * rollup index key, which Postgres bounds (~2.7 kB).
 */
export const MODEL_NAME_MAX = 256;
