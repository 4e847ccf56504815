export declare const EXTERNAL_PACKAGES: string[];
export declare const CJS_COMMANDS: string[];
export declare function bundleCommand(name: string, outfile: string, options?: { format?: 'esm' | 'cjs' }): Promise<string>;
export declare function commandNames(): string[];
