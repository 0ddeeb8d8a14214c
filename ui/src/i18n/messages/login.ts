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
        'The gateway prints it once on the terminal (stdout) at its first start; it is never written to the log.',
      hintEnv: 'If you set ADMIN_TOKEN in the environment, it is that value.',
      checkFailed: 'Could not check whether you are signed in: {message}',
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
      hintPrinted: '网关首次启动时会在终端（标准输出）打印一次，不会写入日志。',
      hintEnv: '如果你在环境变量中设置了 ADMIN_TOKEN，令牌就是该值。',
      checkFailed: '无法确认登录状态：{message}',
    },
  },
});
