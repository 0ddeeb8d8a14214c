import { Agent, setGlobalDispatcher } from 'undici';

// Local workerd closes a connection after answering a request whose body the Worker did not read
// (an admin or key refusal answers before the body), without saying `connection: close`; a
// client that already sent its next request on that kept-alive connection gets "other side
// closed". Cloudflare's edge, not workerd, holds real clients' connections, so the Workers run
// opens a connection per request (pipelining 0 turns keep-alive off) rather than race it.
setGlobalDispatcher(new Agent({ pipelining: 0 }));
