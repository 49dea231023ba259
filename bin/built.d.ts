export declare const ROOT: string;
export declare const BUILD_DIR: string;
export declare const STAMP: string;
/** Why build/ should be made again, or null when it is current. */
export declare function serverStaleness(): string | null;
