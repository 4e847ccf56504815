/**
 * Cuts a byte stream into `\n`-terminated lines, each at most `maxBytes`, kept as bytes so that what
 * is passed through (a user name or password in any encoding) arrives exactly as sent. A longer line
 * is dropped whole and reported once, and reading resumes at the next newline: a greeter that sends
 * megabytes without a newline costs at most `maxBytes` of memory and never stops the protocol.
 * (winbind-pool's LineSplitter throws instead: a daemon drops the connection, a wrapper cannot.)
 */
export class LineCutter {
  private parts: Buffer[] = [];
  private held = 0;
  private skipping = false;
  private skipped = 0;

  constructor(
    private readonly maxBytes: number,
    private readonly onLine: (line: Buffer) => void,
    private readonly onTooLong: (bytes: number) => void,
  ) {}

  push(chunk: Buffer): void {
    let start = 0;
    for (let nl = chunk.indexOf(10, start); nl !== -1; nl = chunk.indexOf(10, start)) {
      const piece = chunk.subarray(start, nl);
      start = nl + 1;
      if (this.skipping || this.held + piece.length > this.maxBytes) {
        this.onTooLong(this.skipped + this.held + piece.length);
        this.reset();
        continue;
      }
      const line = this.parts.length === 0 ? Buffer.from(piece) : Buffer.concat([...this.parts, piece]);
      this.reset();
      this.onLine(line);
    }
    const rest = chunk.length - start;
    if (rest === 0) return;
    if (this.skipping || this.held + rest > this.maxBytes) {
      // Over the cap before its newline: forget what is held, count the rest until the newline comes.
      this.skipped += this.held + rest;
      this.parts = [];
      this.held = 0;
      this.skipping = true;
      return;
    }
    this.parts.push(Buffer.from(chunk.subarray(start)));
    this.held += rest;
  }

  private reset(): void {
    this.parts = [];
    this.held = 0;
    this.skipping = false;
    this.skipped = 0;
  }
}
