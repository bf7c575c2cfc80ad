// The test files of a suite runner: every `<dir>/*<suffix>`, or those matching the words on
// the command line; exits with a clear message when none matches.
import { readdirSync } from "node:fs";
import { join } from "node:path";

export function selectTestFiles(root, dir, suffix, words = process.argv.slice(2)) {
  const files = readdirSync(join(root, dir))
    .filter((name) => name.endsWith(suffix))
    .map((name) => `${dir}/${name}`);
  const selected = words.length ? files.filter((file) => words.some((word) => file.includes(word))) : files;
  if (selected.length === 0) {
    console.error(`✗ no ${dir}/*${suffix} file matches ${words.join(" ")}`);
    process.exit(1);
  }
  return selected;
}
