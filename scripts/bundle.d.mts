export declare const EXTERNAL_PACKAGES: string[];
export declare const HOOK_COMMANDS: string[];
export declare function bundleCommand(name: string, outfile: string, options?: { format?: 'esm' | 'cjs'; hook?: boolean }): Promise<string>;
export declare function bundleFile(entry: string, outfile: string, options?: { format?: 'esm' | 'cjs'; hook?: boolean }): Promise<string>;
export declare function bundleAll(outdir: string): Promise<string[]>;
export declare function commandNames(): string[];
export declare const BUNDLE_ID_PREFIX: string;
export declare function bundleIdLine(content: Buffer | string): string;
