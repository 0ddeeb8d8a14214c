import { ref } from 'vue';
import { createI18n } from 'vue-i18n';
import type { MessageTree } from './define';

export type Lang = 'en' | 'zh-CN';
export const LANGS: readonly Lang[] = ['en', 'zh-CN'];
const STORAGE_KEY = 'sb.lang';

interface MessageModuleShape {
  default?: { en?: MessageTree; 'zh-CN'?: MessageTree };
}

function isTree(value: unknown): value is MessageTree {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function mergeInto(target: MessageTree, source: MessageTree): void {
  for (const [name, value] of Object.entries(source)) {
    const existing = target[name];
    if (isTree(value) && isTree(existing)) mergeInto(existing, value);
    else target[name] = isTree(value) ? structuredClone(value) : value;
  }
}

/**
 * Every `messages/<name>.ts` module, merged per language. A module may already nest its
 * messages under its own namespace (`{ en: { channels: { title } } }`), or give them bare
 * (`{ en: { title } }`), in which case they are put under the file's name (`channels.title`).
 */
function loadMessages(): Record<Lang, MessageTree> {
  const modules = import.meta.glob<MessageModuleShape>('./messages/*.ts', { eager: true });
  const merged: Record<Lang, MessageTree> = { en: {}, 'zh-CN': {} };
  for (const [file, mod] of Object.entries(modules)) {
    const namespace = file.replace(/^.*\//, '').replace(/\.ts$/, '');
    for (const lang of LANGS) {
      const tree = mod.default?.[lang];
      if (!tree) continue;
      const namespaced = isTree(tree[namespace]) ? tree : { [namespace]: tree };
      mergeInto(merged[lang], namespaced);
    }
  }
  return merged;
}

function storedLang(): Lang | null {
  try {
    const value = localStorage.getItem(STORAGE_KEY);
    return value === 'en' || value === 'zh-CN' ? value : null;
  } catch {
    return null;
  }
}

/** The remembered choice, else the browser's language (zh* → zh-CN, anything else → en). */
export function initialLang(): Lang {
  const stored = storedLang();
  if (stored) return stored;
  const browser = typeof navigator === 'undefined' ? '' : (navigator.language ?? '');
  return browser.toLowerCase().startsWith('zh') ? 'zh-CN' : 'en';
}

const start = initialLang();

export const i18n = createI18n({
  legacy: false,
  globalInjection: true,
  locale: start,
  fallbackLocale: 'en',
  messages: loadMessages(),
  missingWarn: import.meta.env.DEV,
  fallbackWarn: false,
});

/** The current language, reactive (what Naive UI's locale follows). */
export const currentLang = ref<Lang>(start);

function applyLang(lang: Lang): void {
  i18n.global.locale.value = lang;
  currentLang.value = lang;
  if (typeof document !== 'undefined') document.documentElement.lang = lang;
}

/** Switches the language and remembers it in localStorage (`sb.lang`). */
export function setLang(lang: Lang): void {
  applyLang(lang);
  try {
    localStorage.setItem(STORAGE_KEY, lang);
  } catch {
    // private mode: the choice lasts for this page only
  }
}

applyLang(start);
