import { defineMessages } from '../define';

export default defineMessages({
  en: {
    nav: {
      dashboard: 'Dashboard',
      channels: 'Channels',
      keys: 'Keys',
      users: 'Users',
      logs: 'Logs',
      audit: 'Audit',
      instances: 'Instances',
      playground: 'Playground',
      openMenu: 'Open the menu',
      switchTo: 'Switch the language',
    },
  },
  'zh-CN': {
    nav: {
      dashboard: '仪表盘',
      channels: '渠道',
      keys: '密钥',
      users: '用户',
      logs: '日志',
      audit: '审计',
      instances: '实例',
      playground: '调试台',
      openMenu: '打开菜单',
      switchTo: '切换语言',
    },
  },
});
