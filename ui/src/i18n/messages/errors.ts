import { defineMessages } from '../define';

/**
 * The gateway's error codes the panel words itself (see api/error-text.ts). `{detail}` is the
 * server's own message where it names something (a channel, a model, a field).
 */
export default defineMessages({
  en: {
    errors: {
      code: {
        invalid_admin_token: 'That is not the admin token.',
        too_many_sign_in_attempts: 'Too many wrong tokens from this address: try again in {seconds} s.',
        session_expired: 'Your session has expired or was signed out: sign in again.',
        csrf_failed: 'The session’s security token was refused: reload the page and try again.',
        missing_admin_token: 'You are not signed in: sign in again.',
        resource_not_found: 'Not found (it may have been deleted meanwhile): {detail}',
        resource_conflict: 'Refused: {detail}',
        channel_file_managed:
          'This channel comes from the config file: only “Enabled” can change here. Edit the file and restart the gateway to change the rest.',
        invalid_request: 'Invalid request: {detail}',
        upstream_failed: 'The upstream provider failed: {detail}',
        key_revoked: 'This API key has been revoked.',
        model_not_found: 'No channel serves this model: {detail}',
        rate_limit_exceeded: 'Rate limit reached: try again in {seconds} s.',
        encryption_not_configured:
          'Bring-your-own-key is not available: the gateway has no SWITCHBOARD_SECRET_KEY to store upstream keys encrypted. Set it on the server and restart the gateway.',
      },
      nameTaken: 'That name is already taken: {detail}',
      later: {
        too_many_sign_in_attempts: 'Too many wrong tokens from this address: try again later.',
        rate_limit_exceeded: 'Rate limit reached: {detail}',
      },
    },
  },
  'zh-CN': {
    errors: {
      code: {
        invalid_admin_token: '管理令牌不正确。',
        too_many_sign_in_attempts: '来自此地址的错误令牌过多：请在 {seconds} 秒后重试。',
        session_expired: '会话已过期或已退出登录：请重新登录。',
        csrf_failed: '会话的安全令牌被拒绝：请刷新页面后重试。',
        missing_admin_token: '尚未登录：请重新登录。',
        resource_not_found: '未找到（可能已被删除）：{detail}',
        resource_conflict: '操作被拒绝：{detail}',
        channel_file_managed: '此渠道来自配置文件：这里只能修改“启用”。其他内容请编辑配置文件并重启网关。',
        invalid_request: '请求无效：{detail}',
        upstream_failed: '上游服务商请求失败：{detail}',
        key_revoked: '此 API 密钥已被吊销。',
        model_not_found: '没有渠道提供此模型：{detail}',
        rate_limit_exceeded: '已达到速率限制：请在 {seconds} 秒后重试。',
        encryption_not_configured:
          '无法使用自带密钥：网关未设置 SWITCHBOARD_SECRET_KEY，无法加密保存上游密钥。请在服务器上设置后重启网关。',
      },
      nameTaken: '该名称已被使用：{detail}',
      later: {
        too_many_sign_in_attempts: '来自此地址的错误令牌过多：请稍后重试。',
        rate_limit_exceeded: '已达到速率限制：{detail}',
      },
    },
  },
});
