import { createDiscreteApi } from 'naive-ui';
import { createRouter, createWebHistory, type RouteLocationRaw } from 'vue-router';
import { i18n } from './i18n';
import { ensureSession, isSignedIn, onSessionLost } from './session';

declare module 'vue-router' {
  interface RouteMeta {
    /** reachable signed out (the login page) */
    public?: boolean;
    /** i18n key of the page title */
    title?: string;
  }
}

export const router = createRouter({
  history: createWebHistory('/admin/'),
  routes: [
    {
      path: '/',
      name: 'dashboard',
      component: () => import('./pages/DashboardPage.vue'),
      meta: { title: 'nav.dashboard' },
    },
    {
      path: '/channels',
      name: 'channels',
      component: () => import('./pages/ChannelsPage.vue'),
      meta: { title: 'nav.channels' },
    },
    {
      path: '/keys',
      name: 'keys',
      component: () => import('./pages/KeysPage.vue'),
      meta: { title: 'nav.keys' },
    },
    {
      path: '/users',
      name: 'users',
      component: () => import('./pages/UsersPage.vue'),
      meta: { title: 'nav.users' },
    },
    {
      // /logs, and /logs/<request id> with that request's detail open.
      path: '/logs/:requestId?',
      name: 'logs',
      component: () => import('./pages/LogsPage.vue'),
      meta: { title: 'nav.logs' },
    },
    {
      path: '/audit',
      name: 'audit',
      component: () => import('./pages/AuditPage.vue'),
      meta: { title: 'nav.audit' },
    },
    {
      path: '/instances',
      name: 'instances',
      component: () => import('./pages/InstancesPage.vue'),
      meta: { title: 'nav.instances' },
    },
    {
      path: '/playground',
      name: 'playground',
      component: () => import('./pages/PlaygroundPage.vue'),
      meta: { title: 'nav.playground' },
    },
    {
      path: '/login',
      name: 'login',
      component: () => import('./pages/LoginPage.vue'),
      meta: { public: true, title: 'login.title' },
    },
    { path: '/:rest(.*)*', redirect: '/' },
  ],
});

/** A path inside the panel to go back to after signing in (never another site). */
export function safeRedirect(value: unknown): string {
  const path = Array.isArray(value) ? value[0] : value;
  if (typeof path !== 'string' || !path.startsWith('/') || path.startsWith('//') || path.startsWith('/\\')) {
    return '/';
  }
  return path.startsWith('/login') ? '/' : path;
}

function loginFor(fullPath: string): RouteLocationRaw {
  return fullPath === '/' ? { name: 'login' } : { name: 'login', query: { redirect: fullPath } };
}

router.beforeEach(async (to) => {
  const signedIn = await ensureSession();
  if (to.meta.public) {
    // Already signed in: the login page has nothing to do.
    return signedIn && to.name === 'login' ? safeRedirect(to.query.redirect) : true;
  }
  return signedIn ? true : loginFor(to.fullPath);
});

// An admin call answered 401 (session expired or signed out elsewhere): back to the login page.
onSessionLost(() => {
  const current = router.currentRoute.value;
  if (current.meta.public || isSignedIn()) return;
  void router.replace(loginFor(current.fullPath));
});

/** sessionStorage: the URL last reloaded for a failed page chunk, so a chunk that stays missing cannot loop. */
const CHUNK_RELOAD_KEY = 'sb.chunkReload';

/** A lazy page's chunk could not be fetched (typically: the panel was upgraded and its old files are gone). */
function isChunkLoadError(error: unknown): boolean {
  const text = error instanceof Error ? `${error.name} ${error.message}` : String(error);
  return /Failed to fetch dynamically imported module|error loading dynamically imported module|Importing a module script failed|Unable to preload CSS|ChunkLoadError|Loading (CSS )?chunk \S+ failed/i.test(
    text,
  );
}

function showNavigationError(error: unknown): void {
  const { message } = createDiscreteApi(['message']);
  const reason = error instanceof Error ? error.message : String(error);
  message.error(i18n.global.t('common.navigationFailed', { message: reason }), {
    duration: 8000,
    closable: true,
  });
}

// Without this a click on a menu entry whose page chunk fails to load does nothing at all.
router.onError((error, to) => {
  if (isChunkLoadError(error)) {
    const target = router.resolve(to).href;
    let tried: string | null = null;
    try {
      tried = sessionStorage.getItem(CHUNK_RELOAD_KEY);
    } catch {
      // storage unavailable: fall through to the message
    }
    if (tried !== target) {
      try {
        sessionStorage.setItem(CHUNK_RELOAD_KEY, target);
      } catch {
        // cannot guard against a loop: show the error instead of reloading
        showNavigationError(error);
        return;
      }
      window.location.assign(target);
      return;
    }
  }
  showNavigationError(error);
});

// A page that did load: a later failure of the same URL may reload again.
router.afterEach(() => {
  try {
    sessionStorage.removeItem(CHUNK_RELOAD_KEY);
  } catch {
    // nothing to clear
  }
});
