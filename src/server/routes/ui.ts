// The web dashboard at /ui/: the static files Vite built into web/dist (make build), with every /ui/ path that
// is not a file answered by index.html, so a deep link opens its page.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync } from 'fastify';

/** web/dist beside src/ and dist/ alike: this file is src/server/routes/ui.ts or dist/server/routes/ui.js. */
export const DASHBOARD_DIR = fileURLToPath(new URL('../../../web/dist/', import.meta.url));

// The page loads only its own scripts and styles and talks only to this server.
const CONTENT_SECURITY_POLICY = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

export const uiRoutes: FastifyPluginAsync<{ root?: string }> = async (app, { root = DASHBOARD_DIR }) => {
  app.get('/', async (_request, reply) => reply.redirect('/ui/'));
  if (!existsSync(`${root}/index.html`)) {
    const notBuilt = async (_request: unknown, reply: import('fastify').FastifyReply) =>
      reply.code(404).type('text/plain; charset=utf-8').send(`the dashboard is not built (no ${root}index.html): run make build`);
    app.get('/ui', notBuilt);
    app.get('/ui/*', notBuilt);
    return;
  }
  await app.register(fastifyStatic, {
    root, prefix: '/ui/', wildcard: false, index: ['index.html'],
    setHeaders(response, path) {
      response.header('content-security-policy', CONTENT_SECURITY_POLICY);
      response.header('x-content-type-options', 'nosniff');
      // Built assets have content hashes in their names; index.html must be fetched again.
      response.header('cache-control', path.includes('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache');
    },
  });
  const page = async (_request: unknown, reply: import('fastify').FastifyReply) =>
    reply.header('content-security-policy', CONTENT_SECURITY_POLICY).header('cache-control', 'no-cache').sendFile('index.html');
  // The router links the overview as /ui?…: keep the query, it holds the view's filters.
  app.get('/ui', async (request, reply) => reply.redirect(`/ui/${request.url.slice('/ui'.length)}`));
  app.get('/ui/*', page);
};
