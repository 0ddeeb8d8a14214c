import { onBeforeUnmount, type Ref, ref } from 'vue';

/** Below this width the panel uses the phone layout (drawer nav, stacked forms). */
export const MOBILE_QUERY = '(max-width: 767px)';

/** Reactive "is the window narrower than 768px". */
export function useIsMobile(): Ref<boolean> {
  const media = typeof window === 'undefined' ? null : window.matchMedia(MOBILE_QUERY);
  const mobile = ref(media?.matches ?? false);
  const update = (event: MediaQueryListEvent) => {
    mobile.value = event.matches;
  };
  media?.addEventListener('change', update);
  onBeforeUnmount(() => media?.removeEventListener('change', update));
  return mobile;
}
