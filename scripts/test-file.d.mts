/** Node arguments that run `file` as scripts/test.mjs does (tsx, and the unhandled-rejection preload). */
export function testFileArgs(file: string): string[];
