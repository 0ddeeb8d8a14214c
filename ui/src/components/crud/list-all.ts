import { api } from '../../api/client';
import type { ListOf } from '../../api/types';

/** The admin API's largest page. */
const PAGE_SIZE = 500;

/** Every item of a paged admin list (`/keys?user_id=x`, `/users`, …), one page of 500 at a time. */
export async function listAll<T>(path: string): Promise<T[]> {
  const separator = path.includes('?') ? '&' : '?';
  const items: T[] = [];
  for (let offset = 0; ; offset += PAGE_SIZE) {
    const page = await api<ListOf<T>>('GET', `${path}${separator}limit=${PAGE_SIZE}&offset=${offset}`);
    items.push(...page.data);
    if (page.data.length < PAGE_SIZE || items.length >= page.total) return items;
  }
}
