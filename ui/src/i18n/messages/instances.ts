import { defineMessages } from '../define';

export default defineMessages({
  en: {
    instances: {
      title: 'Instances',
      subtitle:
        'Every running gateway process, from the heartbeat each sends every 5 seconds. Without REDIS_URL only this one is known.',
      col: {
        id: 'Instance',
        version: 'Version',
        startedAt: 'Started',
        lastHeartbeat: 'Last heartbeat',
        inFlight: 'Requests in flight',
        status: 'Status',
      },
      status: { live: 'Live', stale: 'Stale' },
      self: 'this one',
      staleHint:
        'No heartbeat for 15 seconds: stopped, hung, or cut off from Redis. Gone from the list after 5 minutes.',
    },
  },
  'zh-CN': {
    instances: {
      title: '实例',
      subtitle: '每个正在运行的网关进程，来自各自每 5 秒发送的心跳。未设置 REDIS_URL 时只能看到当前这一个。',
      col: {
        id: '实例',
        version: '版本',
        startedAt: '启动时间',
        lastHeartbeat: '最近心跳',
        inFlight: '进行中的请求',
        status: '状态',
      },
      status: { live: '在线', stale: '失联' },
      self: '当前实例',
      staleHint: '15 秒没有心跳：已停止、卡住或与 Redis 断开。5 分钟后从列表中移除。',
    },
  },
});
