// The read API's one error type: a status and a message that says what was wrong and what to do. Thrown by
// query parsing and the read handlers, turned into an answer by the server's error formatter.
export class HttpError extends Error {
  override name = 'HttpError';
  readonly statusCode: number;
  constructor(statusCode: number, message: string) {
    super(message);
    this.statusCode = statusCode;
  }
}
