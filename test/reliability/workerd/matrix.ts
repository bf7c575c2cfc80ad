/**
 * A row of the fault matrix (docs/reliability.md), printed for scripts/test-reliability.mjs,
 * which collects the `RELIABILITY_ROW {json}` lines of every part and prints the table.
 */
export interface MatrixRow {
  /** Stable id, e.g. "kv-throwing". */
  id: string;
  fault: string;
  /** What the client saw, e.g. "200 from the objects". */
  client: string;
  served: number;
  /** Requests, lines or writes gone without a count anywhere: must be 0. */
  lost: number;
  /** Dropped by design beyond a documented bound, and counted where an operator sees it. */
  dropped?: number;
  /** How long until normal after the fault ended, or "n/a" when service never stopped. */
  recovered: string;
  /** Extra figures (latency, counts) in a few words. */
  detail?: string;
}

export function reportRow(row: MatrixRow): void {
  console.log(`RELIABILITY_ROW ${JSON.stringify(row)}`);
}
