/** A parameterised `sql` tagged template over `ctx.storage.sql.exec` (idiom of cloudflare/agents). */
export type SqlValue = string | number | null;

export function sqlTag(storage: DurableObjectStorage) {
  return function sql<Row extends Record<string, SqlValue>>(
    strings: TemplateStringsArray,
    ...values: SqlValue[]
  ): Row[] {
    const query = strings.reduce((text, part, index) => text + "?" + part);
    return storage.sql.exec<Row>(query, ...values).toArray();
  };
}

export type Sql = ReturnType<typeof sqlTag>;
