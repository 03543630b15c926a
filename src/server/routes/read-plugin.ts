// What both read APIs share: the reads they are answered from, the access check, and sending an answer.
import type { FastifyReply } from 'fastify';
import type { ReadAnswer, Reads } from '../../read/requests.ts';
import type { ReadAccess } from '../auth/read-access.ts';

export interface ReadRoutesOptions {
  reads: Reads;
  access: ReadAccess;
}

export function sendAnswer(reply: FastifyReply, answer: ReadAnswer): FastifyReply {
  return reply.type(answer.contentType).send(answer.body);
}
