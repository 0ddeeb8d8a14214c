import type { InputHTMLAttributes } from 'vue';

/**
 * Attributes for the native <input>/<textarea> inside a Naive UI NInput, so a browser test can
 * fill it: `<NInput :input-props="inputAttrs('login-secret', { autocomplete: 'off' })" />`.
 * (A data-testid on <NInput> itself lands on its wrapper <div>.)
 */
export function inputAttrs(testid: string, extra: InputHTMLAttributes = {}): InputHTMLAttributes {
  const data: Record<string, string> = { 'data-testid': testid };
  return { ...extra, ...data };
}
