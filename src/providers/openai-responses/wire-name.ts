/** The Responses API's wire-format name: a front door, and a provider's `nativeWires` entry. */
export const RESPONSES_WIRE = 'openai-responses';
