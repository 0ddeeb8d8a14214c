/**
 * A self-contained API reference at /docs: it reads /admin/api/openapi.json and renders every
 * route with its request and response schemas. No external scripts or fonts (the gateway may
 * run without internet).
 */
export const DOCS_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Switchboard admin API</title>
<style>
  body { font: 15px/1.5 system-ui, sans-serif; margin: 0; color: #1d2330; background: #f6f7f9; }
  main { max-width: 980px; margin: 0 auto; padding: 24px; }
  h1 { margin: 0 0 4px; } h2 { margin-top: 32px; text-transform: capitalize; }
  .route { background: #fff; border: 1px solid #dde1e7; border-radius: 6px; margin: 10px 0; }
  .route summary { cursor: pointer; padding: 10px 14px; display: flex; gap: 12px; align-items: baseline; }
  .method { font: 600 12px monospace; padding: 2px 8px; border-radius: 4px; color: #fff; min-width: 52px; text-align: center; }
  .get { background: #2f7d4f; } .post { background: #2d5fa8; } .patch { background: #a86b1f; } .delete { background: #a8332d; }
  code, pre { font: 13px/1.4 ui-monospace, monospace; }
  pre { background: #f1f3f6; padding: 10px; border-radius: 4px; overflow-x: auto; margin: 6px 14px 14px; }
  .body { padding: 0 0 6px; } h4 { margin: 8px 14px 0; font-size: 13px; color: #555; }
</style>
</head>
<body>
<main>
  <h1>Switchboard admin API</h1>
  <p id="intro">Loading <a href="/admin/api/openapi.json">/admin/api/openapi.json</a>…</p>
  <div id="routes"></div>
</main>
<script>
  const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);
  fetch('/admin/api/openapi.json').then((r) => r.json()).then((doc) => {
    document.getElementById('intro').innerHTML = esc(doc.info.description) +
      ' The machine-readable document is at <a href="/admin/api/openapi.json">/admin/api/openapi.json</a>.';
    const byTag = {};
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) (byTag[op.tags[0]] ??= []).push({ path, method, op });
    }
    let html = '';
    for (const [tag, routes] of Object.entries(byTag)) {
      html += '<h2>' + esc(tag) + '</h2>';
      for (const { path, method, op } of routes) {
        const params = (op.parameters || []).map((p) => p.name + ' (' + p.in + ')').join(', ');
        const body = op.requestBody ? op.requestBody.content['application/json'].schema : null;
        const ok = Object.entries(op.responses).find(([s]) => s.startsWith('2'));
        html += '<details class="route"><summary><span class="method ' + method + '">' + method.toUpperCase() +
          '</span><code>' + esc(path) + '</code><span>' + esc(op.summary) + '</span></summary><div class="body">' +
          (params ? '<h4>Parameters</h4><pre>' + esc(params) + '</pre>' : '') +
          (body ? '<h4>Request body</h4><pre>' + esc(JSON.stringify(body, null, 2)) + '</pre>' : '') +
          '<h4>Response ' + esc(ok[0]) + '</h4><pre>' + esc(JSON.stringify(ok[1].content['application/json'].schema, null, 2)) +
          '</pre><h4>Errors</h4><pre>' + esc(Object.entries(op.responses).filter(([s]) => !s.startsWith('2'))
            .map(([s, r]) => s + ': ' + r.description).join('\\n')) + '</pre></div></details>';
      }
    }
    document.getElementById('routes').innerHTML = html;
  }).catch((err) => { document.getElementById('intro').textContent = 'Could not load the API document: ' + err; });
</script>
</body>
</html>
`;
