/** Vite's `?raw` imports (vitest bundles tests with Vite): the file's text. */
declare module "*?raw" {
  const text: string;
  export default text;
}
