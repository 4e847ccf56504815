/**
 * The greeter-to-bridge messages, version 1, one line each (trailing newline optional):
 *
 *   LTSP-CHOICE 1 <server>\n    the user chose <server>, a token from the latest snapshot
 *   LTSP-REFRESH 1\n            publish the latest snapshot again (a greeter that just started)
 *
 * Everything else is refused with a reason and never forwarded to LDM: the queue is writable by
 * the greeter's group, and a greeter can be buggy.
 */
import { ChoiceRejectedError } from './errors.ts';
import { SERVER_TOKEN, type Snapshot } from './format.ts';

export const CHOICE_MAGIC = 'LTSP-CHOICE';
export const REFRESH_MAGIC = 'LTSP-REFRESH';
export const CHOICE_VERSION = 1;
/** The choice queue's message size: the kernel itself refuses anything longer from the greeter. */
export const CHOICE_MESSAGE_SIZE = 512;

export type ChoiceMessage = { kind: 'choice'; server: string } | { kind: 'refresh' };

export function encodeChoice(server: string): Buffer {
  if (!SERVER_TOKEN.test(server)) throw new RangeError(`not a server token: ${JSON.stringify(server.slice(0, 40))}`);
  return Buffer.from(`${CHOICE_MAGIC} ${CHOICE_VERSION} ${server}\n`, 'ascii');
}

export function encodeRefresh(): Buffer {
  return Buffer.from(`${REFRESH_MAGIC} ${CHOICE_VERSION}\n`, 'ascii');
}

export function decodeChoice(message: Uint8Array): ChoiceMessage {
  if (message.byteLength > CHOICE_MESSAGE_SIZE) {
    throw new ChoiceRejectedError(`${message.byteLength} bytes is over the ${CHOICE_MESSAGE_SIZE}-byte limit`);
  }
  const raw = Buffer.from(message.buffer, message.byteOffset, message.byteLength).toString('latin1');
  const text = raw.endsWith('\n') ? raw.slice(0, -1) : raw;
  if (/[^\x20-\x7e]/.test(text)) throw new ChoiceRejectedError('contains bytes other than printable ASCII');
  const words = text.split(' ');
  if (words[0] === REFRESH_MAGIC && words.length === 2 && words[1] === String(CHOICE_VERSION)) return { kind: 'refresh' };
  if (words[0] !== CHOICE_MAGIC || words.length !== 3) throw new ChoiceRejectedError(`not a choice message: ${JSON.stringify(text.slice(0, 60))}`);
  if (words[1] !== String(CHOICE_VERSION)) throw new ChoiceRejectedError(`unsupported choice version ${JSON.stringify(words[1]!.slice(0, 10))}`);
  const server = words[2]!;
  if (!SERVER_TOKEN.test(server)) throw new ChoiceRejectedError(`invalid server name ${JSON.stringify(server.slice(0, 60))}`);
  return { kind: 'choice', server };
}

/**
 * A chosen server is forwarded only when the latest snapshot lists it and it is not Down: LDM has
 * no failover, and a Down server would send the user round the login loop.
 */
export function checkChoice(server: string, latest: Snapshot | undefined): void {
  if (!latest) throw new ChoiceRejectedError(`${server}: no snapshot has been published yet`);
  const entry = latest.servers.find((s) => s.server === server);
  if (!entry) throw new ChoiceRejectedError(`${server} is not in the server list`);
  if (entry.status === 'Down') throw new ChoiceRejectedError(`${server} is Down`);
}
