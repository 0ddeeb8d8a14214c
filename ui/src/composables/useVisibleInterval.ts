import { onBeforeUnmount, onMounted } from 'vue';

/**
 * Calls `tick` every `ms` while the tab is visible, and once at once when it becomes visible
 * again after being hidden. Stops when the component unmounts.
 */
export function useVisibleInterval(tick: () => void, ms: number): void {
  let timer: ReturnType<typeof setInterval> | null = null;
  const start = () => {
    if (timer === null) timer = setInterval(() => !document.hidden && tick(), ms);
  };
  const stop = () => {
    if (timer !== null) clearInterval(timer);
    timer = null;
  };
  const onVisibility = () => {
    if (document.hidden) stop();
    else {
      tick();
      start();
    }
  };
  onMounted(() => {
    if (!document.hidden) start();
    document.addEventListener('visibilitychange', onVisibility);
  });
  onBeforeUnmount(() => {
    stop();
    document.removeEventListener('visibilitychange', onVisibility);
  });
}
