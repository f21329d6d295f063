/** The digest of everything `npm run build` reads (see source-hash.mjs). */
export function sourceHash(root: string): string;
