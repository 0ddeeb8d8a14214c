import { defineMessages } from '../define';

export default defineMessages({
  en: {
    login: {
      title: 'Sign in',
      heading: 'Sign in to Switchboard',
      secretLabel: 'Admin token',
      secretPlaceholder: 'Paste the admin token',
      submit: 'Sign in',
      signingIn: 'Signing in…',
      empty: 'Enter the admin token.',
      invalid: 'That is not the admin token. Check it and try again.',
      tooMany: 'Too many wrong tokens from this address. Wait {n} seconds and try again.',
      tooManyNow: 'Too many wrong tokens from this address. You can try again now.',
      hintTitle: 'Where is the admin token?',
      hintPrinted:
        'The gateway prints it once, in its log, the first time it starts (a line saying "admin token").',
      hintEnv: 'Or set your own with the ADMIN_TOKEN environment variable and restart the gateway.',
    },
  },
  'zh-CN': {
    login: {
      title: '登录',
      heading: '登录 Switchboard',
      secretLabel: '管理令牌',
      secretPlaceholder: '粘贴管理令牌',
      submit: '登录',
      signingIn: '正在登录…',
      empty: '请输入管理令牌。',
      invalid: '管理令牌不正确，请检查后重试。',
      tooMany: '来自此地址的错误令牌过多。请等待 {n} 秒后再试。',
      tooManyNow: '来自此地址的错误令牌过多。现在可以重试了。',
      hintTitle: '管理令牌在哪里？',
      hintPrinted: '网关首次启动时会在日志中打印一次（包含 “admin token” 的那一行）。',
      hintEnv: '也可以通过环境变量 ADMIN_TOKEN 自行设置，然后重启网关。',
    },
  },
});
