// The recorded event as `/api/v1/events`, `/history` and `/events/live` serve it: the event format's own types
// (src/event.ts), named here so that web/ imports nothing from src/ but src/api/.
export type { ChangeEvent, JsonObject } from '../event.ts';
