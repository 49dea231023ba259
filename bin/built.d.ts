export declare const ROOT: string;
export declare const BUILD_DIR: string;
export declare const STAMP: string;
/** The newest modification time of a file or anything under a directory (0 if absent), `skip` left out. */
export declare function newestMtime(path: string, skip?: ReadonlySet<string>): number;
/** Why build/ should be made again, or null when it is current. */
export declare function serverStaleness(): string | null;
