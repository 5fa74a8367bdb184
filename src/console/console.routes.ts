import path from 'node:path';
import express from 'express';

/**
 * The console's policy: its own scripts and styles only (the build emits no inline ones), data
 * from Ferry's own origin (HTTP and graphql-ws), never framed, nothing sent to other sites.
 */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Where `npm run build` puts the console (vite, from src/console/web). */
export const consoleDirectory = path.resolve(__dirname, '..', '..', 'console');

function secureHeaders(_req: express.Request, res: express.Response, next: express.NextFunction): void {
  res.set({
    'content-security-policy': CONSOLE_CSP,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'x-frame-options': 'DENY',
    'cross-origin-opener-policy': 'same-origin',
  });
  next();
}

/**
 * `/` sends the browser to `/console/`, which serves the built single-page console: hashed assets
 * cached for a year, index.html never cached (it names the current assets).
 */
export function consoleRoutes(directory = consoleDirectory): express.Router {
  const router = express.Router();
  router.get('/', (_req, res) => res.redirect(302, '/console/'));
  const index = path.join(directory, 'index.html');
  router.use(
    '/console',
    // Relative asset paths resolve against /console/, not / (express matches both for a mount).
    (req, res, next) => (req.originalUrl.split('?')[0] === '/console' ? res.redirect(301, '/console/') : next()),
    secureHeaders,
    express.static(directory, {
      index: false,
      fallthrough: true,
      setHeaders: (res, file) => res.set('cache-control', file.includes(`${path.sep}assets${path.sep}`) ? 'public, max-age=31536000, immutable' : 'no-cache'),
    }),
    (req, res) => {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.status(405).end();
        return;
      }
      res.set('cache-control', 'no-cache').sendFile(index, (error) => {
        if (error && !res.headersSent) res.status(503).type('text/plain').send('The console is not built: run `npm run build`.');
      });
    },
  );
  return router;
}
