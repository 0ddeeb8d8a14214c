import type { ImagePart } from '../../spec/chat.js';

const DATA_URL = /^data:([^;,]+)?(?:;[^,]*)?;base64,(.*)$/s;

/** An OpenAI `image_url` (a `data:` URL or an http URL) as a canonical image source. */
export function imageFromUrl(url: string): ImagePart['source'] {
  const match = DATA_URL.exec(url);
  if (match) return { kind: 'base64', mediaType: match[1] ?? 'image/png', data: match[2] ?? '' };
  return { kind: 'url', url };
}

export function imageToUrl(source: ImagePart['source']): string {
  return source.kind === 'url' ? source.url : `data:${source.mediaType};base64,${source.data}`;
}
