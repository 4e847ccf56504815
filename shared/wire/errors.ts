/**
 * The ways a document or datagram from the network can be refused. Each is its own class with a
 * stable code, so get_hosts can say in `--explain` exactly why a server counts as Down.
 */
import { BalanceError } from '../errors.ts';

/** The payload is larger than the parser will look at. */
export class WireTooLargeError extends BalanceError {
  constructor(readonly bytes: number, readonly limit: number) {
    super('ERR_WIRE_TOO_LARGE', `document of ${bytes} bytes exceeds the ${limit}-byte limit`);
  }
}

/** A DOCTYPE or ENTITY declaration: never needed by the format, the vector of entity-expansion bombs. */
export class WireUnsafeError extends BalanceError {
  constructor(what: string) {
    super('ERR_WIRE_UNSAFE', `document contains ${what}, which the format never uses`);
  }
}

/** More markup than any valid document needs: refused by a linear scan before the parser pays for it. */
export class WireBudgetError extends BalanceError {
  constructor(what: string) {
    super('ERR_WIRE_BUDGET', `document exceeds the parse budget: ${what}`);
  }
}

/** Not well-formed XML, not UTF-8, or not the expected root element. */
export class WireSyntaxError extends BalanceError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('ERR_WIRE_SYNTAX', message, options);
  }
}

/** A well-formed document of a version this build does not speak. */
export class WireVersionError extends BalanceError {
  constructor(readonly version: string) {
    super('ERR_WIRE_VERSION', `unsupported document version ${JSON.stringify(version.slice(0, 20))}`);
  }
}

/** One field missing, of the wrong type or out of range; `field` names it. */
export class WireFieldError extends BalanceError {
  constructor(readonly field: string, message: string) {
    super('ERR_WIRE_FIELD', `${field}: ${message}`);
  }
}
