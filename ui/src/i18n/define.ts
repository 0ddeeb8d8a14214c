/** A tree of message strings (vue-i18n syntax: `{name}` placeholders, `{'@'}` for a literal @, `|` plurals). */
export interface MessageTree {
  [key: string]: string | MessageTree;
}

/** The same shape with every leaf a string: the Chinese messages must match the English keys. */
export type SameKeys<T> = { [K in keyof T]: T[K] extends string ? string : SameKeys<T[K]> };

export interface MessageModule<T extends MessageTree = MessageTree> {
  en: T;
  'zh-CN': SameKeys<T>;
}

/**
 * Optional helper for a messages/*.ts module: checks that zh-CN has exactly the keys of en.
 *   export default defineMessages({ en: { keys: { title: 'Keys' } }, 'zh-CN': { keys: { title: '密钥' } } });
 */
export function defineMessages<T extends MessageTree>(messages: MessageModule<T>): MessageModule<T> {
  return messages;
}
