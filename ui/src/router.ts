import { createRouter, createWebHistory, type RouteLocationRaw } from 'vue-router';
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
