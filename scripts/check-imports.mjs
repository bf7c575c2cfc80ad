#!/usr/bin/env node
// The dependency rule of src/ (docs/architecture.md, "Dependency rule"): which top-level folder
// may import which. Reads every import of every .ts/.js file under src/ (static and type-only
// imports, `export … from`, `import("…")` calls and types) with the TypeScript parser, and
// exits 1 listing each file:line that breaks the rule.
//
//   node scripts/check-imports.mjs [srcDir]   default: src/ of this checkout
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

/** Which areas each area may import, besides itself. `worker` is src/worker.ts. */
export const ALLOWED = {
  worker: ["routes", "pipeline", "objects", "shared"],
  routes: ["pipeline", "bindings", "modules", "shared", "loader-template"],
  pipeline: ["bindings", "modules", "shared", "loader-template"],
  objects: ["bindings", "modules", "shared"],
  bindings: ["shared"],
  modules: ["shared"],
  "loader-template": ["modules", "shared"],
  shared: [],
};
/** Areas that stay pure: of the packages, only these (parsers without I/O: zod, and the power-ups' bot, user-agent and IP parsers). */
const PACKAGES_OF_PURE = { modules: ["zod", "isbot", "ua-parser-js", "ipaddr.js"], shared: ["zod", "ipaddr.js"] };
const SKIPPED = new Set(["loader-template/loader.generated.ts"]);
const SOURCE = /\.(ts|js)$/;

/** The area of a file relative to src/ ("objects/usage.ts" -> "objects"), or null. */
function areaOfFile(path) {
  if (path === "worker.ts") return "worker";
  const [top, ...rest] = path.split("/");
  return rest.length && top !== "worker" && top in ALLOWED ? top : null;
}

/** The area an import resolves to ("shared/edge-config", "worker", "objects"), or null. */
function areaOfTarget(path) {
  if (path.replace(SOURCE, "") === "worker") return "worker";
  const top = path.split("/")[0];
  return top !== "worker" && top in ALLOWED ? top : null;
}

function sourceFiles(dir, base = dir) {
  const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1));
  return entries.flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path, base);
    const rel = relative(base, path).split(sep).join("/");
    return SOURCE.test(entry.name) && !SKIPPED.has(rel) ? [rel] : [];
  });
}

/** Every module specifier of one file, with its line (1-based). */
export function specifiersOf(fileName, text) {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true,
    fileName.endsWith(".js") ? ts.ScriptKind.JS : ts.ScriptKind.TS);
  const found = [];
  const add = (literal) => {
    if (literal && ts.isStringLiteralLike(literal)) {
      found.push({ specifier: literal.text, line: source.getLineAndCharacterOfPosition(literal.getStart()).line + 1 });
    }
  };
  const visit = (node) => {
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) add(node.moduleSpecifier);
    else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      add(node.moduleReference.expression);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) add(node.arguments[0]);
    else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) add(node.argument.literal);
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** The broken rules under `srcDir`: [{ file, line, message }], file relative to srcDir's parent. */
export function checkImports(srcDir) {
  const problems = [];
  const shown = (rel) => relative(process.cwd(), join(srcDir, rel)).split(sep).join("/");
  for (const rel of sourceFiles(srcDir)) {
    const from = areaOfFile(rel);
    const report = (line, message) => problems.push({ file: shown(rel), line, message });
    if (!from) {
      report(1, `src/${rel} is in no folder of the layout (worker.ts, ${Object.keys(ALLOWED).slice(1).join("/, ")}/)`);
      continue;
    }
    for (const { specifier, line } of specifiersOf(rel, readFileSync(join(srcDir, rel), "utf8"))) {
      if (!specifier.startsWith(".")) {
        const allowed = PACKAGES_OF_PURE[from];
        const name = specifier.split("/")[0];
        if (allowed && !allowed.includes(name)) {
          report(line, `${from}/ may import no package but ${allowed.join(", ")}: "${specifier}"`);
        }
        continue;
      }
      const target = relative(srcDir, resolve(srcDir, dirname(rel), specifier)).split(sep).join("/");
      if (target.startsWith("../") || target === "..") {
        report(line, `"${specifier}" leaves src/`);
        continue;
      }
      const to = areaOfTarget(target);
      if (!to) report(line, `"${specifier}" is src/${target}, in no folder of the layout`);
      else if (to !== from && !ALLOWED[from].includes(to)) {
        const may = ALLOWED[from].length ? ALLOWED[from].join(", ") : `nothing outside ${from}/`;
        report(line, `${from} -> ${to} ("${specifier}") is not allowed; ${from === "worker" ? "worker.ts" : `${from}/`} may import ${may}`);
      }
    }
  }
  return problems;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const srcDir = resolve(process.argv[2] ?? fileURLToPath(new URL("../src", import.meta.url)));
  const problems = checkImports(srcDir);
  for (const { file, line, message } of problems) console.error(`${file}:${line}: ${message}`);
  if (problems.length) {
    console.error(`✗ ${problems.length} break(s) of the dependency rule (docs/architecture.md, "Dependency rule")`);
    process.exit(1);
  }
  console.log("every import follows the dependency rule");
}
