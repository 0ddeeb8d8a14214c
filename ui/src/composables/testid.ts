import type { InputHTMLAttributes } from 'vue';

/**
 * Attributes for the native <input>/<textarea> inside a Naive UI NInput, so a browser test can
 * fill it: `<NInput :input-props="inputAttrs('login-secret', { autocomplete: 'off' })" />`.
 * (A data-testid on <NInput> itself lands on its wrapper <div>.) The test id is also the
 * input's id, so the form item's label can point at it: `:label-props="labelFor('login-secret')"`.
 */
export function inputAttrs(testid: string, extra: InputHTMLAttributes = {}): InputHTMLAttributes {
  const data: Record<string, string> = { 'data-testid': testid };
  return { id: testid, ...extra, ...data };
}

/**
 * An NFormItem's `label-props`: ties its <label> to the control whose id is `id` (an input made
 * with inputAttrs, or a select's search input), so screen readers announce the field by its
 * label and a click on the label focuses it. The label also gets an id, for controls that are
 * not native inputs (see labelledBy).
 */
export function labelFor(id: string): { for: string; id: string } {
  return { for: id, id: `${id}-label` };
}

/**
 * For a control that is not a native input (a switch, date picker, radio group, list of pairs):
 * the form item's `label-props` is `controlLabel(id)` and the control carries `labelledBy(id)`.
 */
export function controlLabel(id: string): { id: string } {
  return { id: `${id}-label` };
}

export function labelledBy(id: string): { 'aria-labelledby': string } {
  return { 'aria-labelledby': `${id}-label` };
}
