#!/usr/bin/env node
// docs/edge-contract.md: the edge contract inside the repo, so "contract section N" in the code
// resolves here. The original is ../shared/spec/edge-contract.md (outside the repo); this copies it.
//
//   node scripts/sync-contract.mjs           write the copy (npm run contract:sync)
//   node scripts/sync-contract.mjs --check   say whether the copy is current (npm test): a WARNING
//                                            when it differs or the original is absent, never a failure
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const ORIGINAL = "../shared/spec/edge-contract.md";
const COPY = "docs/edge-contract.md";
const NOTE = `<!-- Copy of ${ORIGINAL}, written by scripts/sync-contract.mjs (npm run contract:sync). Edit the original, then sync. -->\n\n`;

const originalPath = join(root, ORIGINAL);
const copyPath = join(root, COPY);

if (!existsSync(originalPath)) {
  console.log(`${ORIGINAL} is absent (no shared checkout next to this one): ${COPY} left as it is, not compared`);
  process.exit(0);
}
const wanted = NOTE + readFileSync(originalPath, "utf8");
const current = existsSync(copyPath) ? readFileSync(copyPath, "utf8") : null;

if (process.argv.includes("--check")) {
  if (current === wanted) console.log(`${COPY} matches ${ORIGINAL}`);
  else {
    console.log(`WARNING: ${COPY} ${current === null ? "is missing" : `differs from ${ORIGINAL}`}; run \`npm run contract:sync\` and commit it`);
  }
} else if (current === wanted) {
  console.log(`${COPY} is current`);
} else {
  writeFileSync(copyPath, wanted);
  console.log(`wrote ${COPY} from ${ORIGINAL}`);
}
