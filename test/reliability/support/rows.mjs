// A row of the fault matrix (docs/reliability.md): printed, and written to
// $RELIABILITY_ROWS_DIR for scripts/test-reliability.mjs, which prints the table of every part.
// Fields as in test/reliability/workerd/matrix.ts.
import { writeFileSync } from "node:fs";
import { join } from "node:path";

export function reportRow(row) {
  console.log(`RELIABILITY_ROW ${JSON.stringify(row)}`);
  if (process.env.RELIABILITY_ROWS_DIR) writeFileSync(join(process.env.RELIABILITY_ROWS_DIR, `${row.id}.json`), JSON.stringify(row));
}
