/**
 * node:http servers for the admin commands (ZooKeeper's JettyAdminServer: GET
 * <commandURL>/<name>, a link list at <commandURL>) and for Prometheus (GET /metrics on
 * metricsProvider.httpPort). Bounded: connections per server, header bytes, idle time. TRACE is
 * refused with 403 on both, as ZooKeeper constrains it.
 */
import { createReadStream } from 'node:fs';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { limits } from '../config/limits.js';
import type { AdminContext } from '../admin/admin-context.js';
import { RESTORE_BODY_BYTES_MAX, primaryCommandNames, renderResponse, runCommand } from '../admin/commands.js';
import { prometheusText } from '../admin/monitor.js';
import { processMetrics } from './process-stats.js';
import type { Logger } from './logger.js';

/** node:http, loaded only when an HTTP endpoint is enabled (a server without one starts sooner). */
function loadHttp(): Promise<typeof import('node:http')> {
  return import('node:http');
}

export interface HttpEndpoint {
  readonly port: number;
  close(): Promise<void>;
}

export interface AdminServerOptions {
  readonly address: string;
  readonly port: number;
  readonly commandUrl: string;
  readonly idleTimeoutMs: number;
  readonly log: Logger;
}

/** Jetty's plain error page, enough for a browser or curl to show what happened. */
function errorPage(response: ServerResponse, status: number, message: string, uri: string): void {
  const body = `<html>\n<head>\n<meta http-equiv="Content-Type" content="text/html;charset=utf-8"/>\n<title>Error ${status} ${message}</title>\n</head>\n<body><h2>HTTP ERROR ${status} ${message}</h2>\n<table>\n<tr><th>URI:</th><td>${escapeHtml(uri)}</td></tr>\n<tr><th>STATUS:</th><td>${status}</td></tr>\n<tr><th>MESSAGE:</th><td>${message}</td></tr>\n</table>\n</body>\n</html>\n`;
  response.writeHead(status, { 'Content-Type': 'text/html;charset=utf-8', 'Cache-Control': 'must-revalidate,no-cache,no-store' });
  response.end(body);
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function listen(server: Server, host: string, port: number): Promise<number> {
  server.maxConnections = limits.httpConnectionsMax;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const address = server.address();
      resolve(typeof address === 'object' && address !== null ? address.port : port);
    });
  });
}

function closer(server: Server): () => Promise<void> {
  return () => new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

function remoteOf(request: IncomingMessage): string {
  return (request.socket.remoteAddress ?? '').replace(/^::ffff:/, '');
}

/** Reads a body of at most `maxBytes` (kept only when `keep`); a longer one aborts the request. */
function readBody(request: IncomingMessage, maxBytes: number, keep: boolean): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    request.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > maxBytes) {
        request.destroy();
        resolve(undefined);
      } else if (keep) chunks.push(chunk);
    });
    request.on('end', () => resolve(keep ? Buffer.concat(chunks) : undefined));
    request.on('close', () => resolve(undefined));
  });
}

async function onAdminRequest(
  ctx: AdminContext, options: AdminServerOptions, request: IncomingMessage, response: ServerResponse, requestBody: Promise<Buffer | undefined>,
): Promise<void> {
  const url = new URL(request.url ?? '/', 'http://admin');
  const base = options.commandUrl === '/' ? '' : options.commandUrl;
  const path = decodeURIComponent(url.pathname);
  if (request.method === 'TRACE') return errorPage(response, 403, 'Forbidden', path);
  const inCommands = path === base || path === `${base}/` || path.startsWith(`${base}/`);
  if (!inCommands) return errorPage(response, 404, 'Not Found', path);
  const name = path === base ? '' : path.slice(base.length + 1);
  const isRestore = name === 'restore' || name === 'rest';
  if (request.method !== 'GET' && request.method !== 'HEAD' && !(request.method === 'POST' && isRestore)) {
    return errorPage(response, 405, `HTTP method ${request.method ?? ''} is not supported by this URL`, path);
  }
  if (name === '') {
    const links = primaryCommandNames().map((c) => `<a href="${base}/${c}">${c}</a>\n<br/>\n`).join('');
    response.writeHead(200, { 'Content-Type': 'text/html;charset=utf-8' });
    response.end(links);
    return;
  }
  const params = new Map<string, string>();
  for (const [k, v] of url.searchParams) if (!params.has(k)) params.set(k, v);
  const method = request.method ?? 'GET';
  const result = await runCommand(ctx, name, {
    params, authorization: request.headers.authorization, remoteAddress: remoteOf(request), method,
    ...(method === 'POST' && { body: await requestBody }),
  });
  if (result.file !== undefined) {
    response.writeHead(result.status, { ...result.headers, 'Content-Type': 'application/octet-stream' });
    createReadStream(result.file).on('error', () => response.destroy()).pipe(response);
    return;
  }
  const body = renderResponse(result);
  response.writeHead(result.status, { ...result.headers, 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  response.end(request.method === 'HEAD' ? undefined : body);
}

/** Starts the admin server; rejects when it cannot bind (the caller decides whether that is fatal). */
export async function startAdminServer(ctx: AdminContext, options: AdminServerOptions): Promise<HttpEndpoint> {
  const { createServer } = await loadHttp();
  const server = createServer({ maxHeaderSize: limits.httpHeaderBytesMax, requestTimeout: options.idleTimeoutMs }, (request, response) => {
    // Only restore's POST needs its body (a snapshot, kept up to its own bound); others are drained.
    const name = (request.url ?? '/').split('?')[0]!.split('/').pop();
    const restorePost = request.method === 'POST' && (name === 'restore' || name === 'rest');
    const body = readBody(request, restorePost ? RESTORE_BODY_BYTES_MAX : limits.httpBodyBytesMax, restorePost);
    onAdminRequest(ctx, options, request, response, body).catch((e: Error) => {
      options.log('WARN', `admin command ${request.url ?? ''} failed: ${e.message}`, 'admin');
      if (!response.headersSent) errorPage(response, 500, 'Server Error', request.url ?? '');
      else response.destroy();
    });
  });
  server.keepAliveTimeout = options.idleTimeoutMs;
  server.headersTimeout = Math.min(options.idleTimeoutMs, 60_000);
  const port = await listen(server, options.address, options.port);
  options.log('INFO', `Started AdminServer on address ${options.address}, port ${port} and command URL ${options.commandUrl}`, 'admin');
  return { port, close: closer(server) };
}

export interface MetricsServerOptions {
  readonly host: string;
  readonly port: number;
  readonly exportJvmInfo: boolean;
  readonly startedAtMs: number;
  readonly log: Logger;
}

/** Starts the Prometheus endpoint (GET /metrics). */
export async function startMetricsServer(ctx: AdminContext, options: MetricsServerOptions): Promise<HttpEndpoint> {
  const { createServer } = await loadHttp();
  const server = createServer({ maxHeaderSize: limits.httpHeaderBytesMax, requestTimeout: 30_000 }, (request, response) => {
    const path = new URL(request.url ?? '/', 'http://metrics').pathname;
    if (request.method === 'TRACE') return errorPage(response, 403, 'Forbidden', path);
    if (path !== '/metrics') return errorPage(response, 404, 'Not Found', path);
    if (request.method !== 'GET' && request.method !== 'HEAD') return errorPage(response, 405, 'Method Not Allowed', path);
    const body = prometheusText(ctx, options.exportJvmInfo ? processMetrics(options.startedAtMs) : []);
    response.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8', 'Content-Length': Buffer.byteLength(body) });
    response.end(request.method === 'HEAD' ? undefined : body);
  });
  const port = await listen(server, options.host, options.port);
  options.log('INFO', `Started /metrics HTTP endpoint at host: ${options.host}, port: ${port}, exportJvmInfo: ${options.exportJvmInfo}`, 'metrics');
  return { port, close: closer(server) };
}
