export declare const KEY_FILES: string[];
export declare function renderExample(): string;
