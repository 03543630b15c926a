// What both read APIs share: the reads they are answered from, the access check, and the one way a read route
// is served. A route is declared as data: its URLs, its querystring schema (validated by Fastify before the
// handler runs), the ReadRequest a valid query asks for, and what the caller must be allowed. A read stops when its
// client goes: its work is not wasted on nobody.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Static, TSchema } from 'typebox';
import { CONTINUE_HEADER } from '../../api/history.ts';
import type { ReadAnswer, ReadOptions, ReadRequest, Reads } from '../../read/requests.ts';
import type { ReadAccess } from '../auth/read-access.ts';
import type { ReadAttributes } from '../auth/types.ts';

export interface ReadRoutesOptions {
  reads: Reads;
  access: ReadAccess;
}

/** The path parameters read routes use (`:namespace`, `:name`). */
export interface ReadParams {
  namespace?: string;
  name?: string;
}

export interface ReadRoute<Q extends TSchema, R extends ReadRequest> {
  urls: readonly string[];
  querystring: Q;
  /** The read a request asks for; throws HttpError for what the schema cannot check. */
  read(query: Static<Q>, params: ReadParams, request: FastifyRequest): R;
  /** What the caller must be allowed, for the SubjectAccessReview. */
  needs(read: R, params: ReadParams): ReadAttributes;
}

export function serveRead<Q extends TSchema, R extends ReadRequest>(app: FastifyInstance, { reads, access }: ReadRoutesOptions, route: ReadRoute<Q, R>): void {
  for (const url of route.urls) {
    app.get(url, { schema: { querystring: route.querystring } }, async (request, reply) => {
      const params = request.params as ReadParams;
      // Fastify checked the query against route.querystring before this runs.
      const read = route.read(request.query as Static<Q>, params, request);
      await access.check(request, route.needs(read, params));
      return sendAnswer(reply, await reads.answer(read, untilClientGoes(reply)));
    });
  }
}

/** Read options whose signal aborts when the connection closes before the answer is sent. */
export function untilClientGoes(reply: FastifyReply): ReadOptions {
  const controller = new AbortController();
  const response = reply.raw;
  const closed = () => { if (!response.writableFinished) controller.abort(); };
  response.once('close', closed);
  // Answered: the listener goes with the response.
  response.once('finish', () => response.off('close', closed));
  return { signal: controller.signal };
}

export function sendAnswer(reply: FastifyReply, answer: ReadAnswer): FastifyReply {
  if (answer.continue !== undefined) void reply.header(CONTINUE_HEADER, answer.continue);
  return reply.type(answer.contentType).send(answer.body);
}
