/**
 * GET /api/health: liveness, the one route without a token (load balancers
 * call it). It says which upstreams the server runs on, nothing more.
 */
export default defineEventHandler(() => ({ status: 'ok', upstreams }))
