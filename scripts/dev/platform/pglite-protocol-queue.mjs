// Replacement for @electric-sql/pglite-socket's query queue (0.2.x), which
// multiplexes client connections onto PGlite's single backend one protocol
// MESSAGE at a time: two clients' extended-protocol sequences (Parse, Bind,
// Execute, Sync) then interleave and clobber each other's unnamed statement
// ("bind message supplies 2 parameters, but prepared statement "" requires 3").
// This queue hands the backend to one connection per protocol UNIT instead:
// from its first message to the end of the Sync/simple Query that leaves the
// backend outside a transaction, so transactions stay whole too.
const SYNC = 0x53; // 'S'
const QUERY = 0x51; // 'Q'
const TERMINATE = 0x58; // 'X'

/** Startup/SSL/cancel packets have no type byte (they start with a length whose high byte is 0). */
function endsUnit(message) {
  const type = message[0];
  return type === SYNC || type === QUERY || type === TERMINATE || type === 0;
}

export class ProtocolUnitQueue {
  #db;
  #queue = [];
  #owner = null;
  #running = false;

  constructor(db) {
    this.#db = db;
  }

  enqueue(handlerId, message, onData) {
    return new Promise((resolve, reject) => {
      this.#queue.push({ handlerId, message, onData, resolve, reject });
      void this.#pump();
    });
  }

  getQueueLength() {
    return this.#queue.length;
  }

  clearQueueForHandler(handlerId) {
    this.#queue = this.#queue.filter((entry) => {
      if (entry.handlerId !== handlerId) return true;
      entry.reject(new Error("Handler disconnected"));
      return false;
    });
  }

  /** A connection that went away mid-unit: roll back what it left open and free the backend. */
  async clearTransactionIfNeeded(handlerId) {
    if (this.#owner !== handlerId) return;
    if (this.#db.isInTransaction()) await this.#db.exec("ROLLBACK");
    this.#owner = null;
    void this.#pump();
  }

  async #pump() {
    if (this.#running) return;
    this.#running = true;
    try {
      for (;;) {
        const index = this.#owner === null ? 0 : this.#queue.findIndex((e) => e.handlerId === this.#owner);
        if (index < 0 || this.#queue.length === 0) return;
        const [entry] = this.#queue.splice(index, 1);
        this.#owner = entry.handlerId;
        try {
          let bytes = 0;
          await this.#db.runExclusive(() =>
            this.#db.execProtocolRawStream(entry.message, {
              onRawData: (data) => {
                bytes += data.length;
                entry.onData(data);
              },
            })
          );
          entry.resolve(bytes);
        } catch (error) {
          entry.reject(error);
        }
        if (endsUnit(entry.message) && !this.#db.isInTransaction()) this.#owner = null;
      }
    } finally {
      this.#running = false;
    }
  }
}
