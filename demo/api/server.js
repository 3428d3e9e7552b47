// The demo Orchestra API: /api/status answers with the service's revision, as the real API does.
const http = require('node:http');

const port = Number(process.env.PORT || 8080);
http
  .createServer((req, res) => {
    const body =
      req.url === '/api/status'
        ? {
            status: 'ok',
            service: process.env.K_SERVICE || 'orchestra-api',
            revision: process.env.K_REVISION || 'local',
          }
        : { error: 'not found', path: req.url };
    res.writeHead(req.url === '/api/status' ? 200 : 404, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  })
  .listen(port, () => console.log(`orchestra api demo on :${port}`));
