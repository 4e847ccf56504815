/**
 * Cuts a byte stream into `\n`-terminated lines with a hard cap on line length, so a peer that never
 * sends a newline costs at most `maxBytes` of memory. Lines are decoded as UTF-8 only when complete,
 * so a multi-byte character split across reads is never mangled.
 */
import { TooLargeError } from './errors.ts';

/** A line over the cap: the protocol's ERR_TOO_LARGE, with the cap it broke. */
export class LineTooLongError extends TooLargeError {
  constructor(readonly maxBytes: number) {
    super(`line longer than ${maxBytes} bytes`);
  }
}

export class LineSplitter {
  private parts: Buffer[] = [];
  private pending = 0;

  constructor(private readonly maxBytes: number) {}

  /** The complete lines in `chunk` (without `\n`, a trailing `\r` removed). Throws LineTooLongError. */
  push(chunk: Buffer): string[] {
    const lines: string[] = [];
    let start = 0;
    for (let nl = chunk.indexOf(10, start); nl !== -1; nl = chunk.indexOf(10, start)) {
      if (this.pending + nl - start + 1 > this.maxBytes) throw new LineTooLongError(this.maxBytes);
      // Most lines arrive whole in one read: decode them in place, without a copy.
      const end = nl > start && chunk[nl - 1] === 13 ? nl - 1 : nl;
      if (this.parts.length === 0) {
        lines.push(chunk.toString('utf8', start, end));
      } else {
        this.parts.push(chunk.subarray(start, nl));
        const line = Buffer.concat(this.parts).toString('utf8');
        lines.push(line.endsWith('\r') ? line.slice(0, -1) : line);
        this.parts = [];
        this.pending = 0;
      }
      start = nl + 1;
    }
    if (start < chunk.length) {
      this.pending += chunk.length - start;
      if (this.pending >= this.maxBytes) throw new LineTooLongError(this.maxBytes);
      // Copy: the caller's buffer may be reused by the stream.
      this.parts.push(Buffer.from(chunk.subarray(start)));
    }
    return lines;
  }

  /** Bytes of an unfinished line held. */
  get buffered(): number {
    return this.pending;
  }
}
