/** Known OpenAI-compatible services: where they live and how they take a key. */
export interface OpenAiCompatiblePreset {
  readonly name: string;
  readonly baseUrl: string | null;
  /** Local servers run without a key. */
  readonly requiresKey: boolean;
  /** Headers derived from the gateway's app identity (e.g. OpenRouter's attribution headers). */
  readonly appHeaders?: (app: AppIdentity) => Record<string, string>;
  /** Reasoning is switched with `thinking: {type: "enabled" | "disabled"}`, not `reasoning_effort`. */
  readonly thinkingSwitch?: boolean;
  /** The service also serves OpenAI's Responses API (`/responses`), so those calls are relayed. */
  readonly responsesApi?: boolean;
  /** Translated requests carry `max_completion_tokens` instead of `max_tokens` (see EncodeContext). */
  readonly maxCompletionTokens?: boolean;
}

export interface AppIdentity {
  readonly name: string;
  readonly url?: string;
}

export const OPENAI_COMPATIBLE_PRESETS: readonly OpenAiCompatiblePreset[] = [
  {
    name: 'openai',
    baseUrl: 'https://api.openai.com/v1',
    requiresKey: true,
    responsesApi: true,
    maxCompletionTokens: true,
  },
  { name: 'deepseek', baseUrl: 'https://api.deepseek.com/v1', requiresKey: true, thinkingSwitch: true },
  { name: 'moonshot', baseUrl: 'https://api.moonshot.cn/v1', requiresKey: true, thinkingSwitch: true },
  { name: 'zhipu', baseUrl: 'https://open.bigmodel.cn/api/paas/v4', requiresKey: true, thinkingSwitch: true },
  {
    name: 'openrouter',
    baseUrl: 'https://openrouter.ai/api/v1',
    requiresKey: true,
    // Lower case, as the channel's own headers are (build-channels.ts): a channel's X-Title replaces it.
    appHeaders: (app) => ({ 'x-title': app.name, ...(app.url ? { 'http-referer': app.url } : {}) }),
  },
  { name: 'fireworks', baseUrl: 'https://api.fireworks.ai/inference/v1', requiresKey: true },
  { name: 'nvidia', baseUrl: 'https://integrate.api.nvidia.com/v1', requiresKey: true },
  { name: 'groq', baseUrl: 'https://api.groq.com/openai/v1', requiresKey: true },
  { name: 'together', baseUrl: 'https://api.together.xyz/v1', requiresKey: true },
  { name: 'siliconflow', baseUrl: 'https://api.siliconflow.cn/v1', requiresKey: true },
  { name: 'vllm', baseUrl: 'http://127.0.0.1:8000/v1', requiresKey: false },
  { name: 'ollama', baseUrl: 'http://127.0.0.1:11434/v1', requiresKey: false },
  { name: 'lmstudio', baseUrl: 'http://127.0.0.1:1234/v1', requiresKey: false },
  // Any other OpenAI-compatible server: the channel must give base_url.
  { name: 'openai-compatible', baseUrl: null, requiresKey: false },
];
