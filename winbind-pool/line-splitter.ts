/**
 * Cuts a byte stream into `\n`-terminated lines with a hard cap on line length, so a peer that never
 * sends a newline costs at most `maxBytes` of memory. Lines are decoded as UTF-8 only when complete,
 * so a multi-byte character split across reads is never mangled.
 *
 * Lazy: append() only keeps the bytes, next() cuts one line at a time. A daemon reading a flood holds
 * the bytes it read (one read, at most 64 KiB) rather than an object per line (30 times that for
 * lines of a few bytes), and decodes each line only when it gets to it.
 */
import { TooLargeError } from './errors.ts';

/** A line over the cap: the protocol's ERR_TOO_LARGE, with the cap it broke. */
export class LineTooLongError extends TooLargeError {
  constructor(readonly maxBytes: number) {
    super(`line longer than ${maxBytes} bytes`);
  }
}

const EMPTY = Buffer.alloc(0);

export class LineSplitter {
  /** Bytes not yet returned as lines, from `pos` on: complete lines, then an unfinished one. */
  private buf: Buffer = EMPTY;
  private pos = 0;
  /** `buf` is the caller's chunk, not a copy: keep() copies what is left of it. */
  private borrowed = false;
  /** Bytes after the last newline: the unfinished line. */
  private tail = 0;

  constructor(private readonly maxBytes: number) {}

  /** Adds a chunk; its lines are taken with next(). Throws LineTooLongError for an unfinished line over the cap. */
  append(chunk: Buffer): void {
    const nl = chunk.lastIndexOf(10);
    const tail = nl === -1 ? this.tail + chunk.length : chunk.length - nl - 1;
    if (tail >= this.maxBytes) throw new LineTooLongError(this.maxBytes);
    const rest = this.buf.length - this.pos;
    this.buf = rest === 0 ? chunk : Buffer.concat([this.buf.subarray(this.pos), chunk]);
    this.borrowed = rest === 0;
    this.pos = 0;
    this.tail = tail;
  }

  /** The next complete line (without `\n`, a trailing `\r` removed), or null. Throws LineTooLongError. */
  next(): string | null {
    const nl = this.buf.indexOf(10, this.pos);
    if (nl === -1) return null;
    if (nl - this.pos + 1 > this.maxBytes) throw new LineTooLongError(this.maxBytes);
    const end = nl > this.pos && this.buf[nl - 1] === 13 ? nl - 1 : nl;
    const line = this.buf.toString('utf8', this.pos, end);
    this.pos = nl + 1;
    return line;
  }

  /** Whether a complete line is waiting. */
  get hasLine(): boolean {
    return this.buf.indexOf(10, this.pos) !== -1;
  }

  /**
   * Lets go of the caller's chunk: what is left of it is copied (the stream may reuse its buffer).
   * Call before returning from the handler that passed the chunk to append().
   */
  keep(): void {
    if (this.pos >= this.buf.length) {
      this.buf = EMPTY;
      this.pos = 0;
    } else if (this.borrowed) {
      this.buf = Buffer.from(this.buf.subarray(this.pos));
      this.pos = 0;
    }
    this.borrowed = false;
  }

  /** append(), then every complete line. */
  push(chunk: Buffer): string[] {
    this.append(chunk);
    const lines: string[] = [];
    for (let line = this.next(); line !== null; line = this.next()) lines.push(line);
    this.keep();
    return lines;
  }

  /** Bytes of an unfinished line held. */
  get buffered(): number {
    return this.tail;
  }
}
