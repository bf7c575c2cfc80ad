// The local Data API stand-in's query builder (scripts/dev/standins/postgrest.mjs): what
// supabase-js sends becomes one parameterised select; names are checked, values always bound.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { buildSelect } from "../../scripts/dev/standins/postgrest.mjs";

const query = (text) => new URLSearchParams(text);

describe("buildSelect", () => {
  it("turns select, filters, order and limit into SQL with bound values", () => {
    assert.deepEqual(
      buildSelect("container_usage_daily", query("select=day,requests&container_id=eq.abc&day=gte.2026-11-01&order=day.desc.nullslast&limit=30")),
      {
        text: 'select "day", "requests" from public."container_usage_daily" where "container_id" = $1 and "day" >= $2 order by "day" desc nulls last limit 30',
        values: ["abc", "2026-11-01"],
      },
    );
    assert.deepEqual(buildSelect("sgtm_containers", query('select=*&status=in.("active","paused")&paused_reason=is.null')), {
      text: 'select * from public."sgtm_containers" where "status" = any($1) and "paused_reason" is null',
      values: [["active", "paused"]],
    });
  });

  it("binds hostile values, never splices them", () => {
    const { text, values } = buildSelect("alerts", query("kind=eq.x' or '1'='1"));
    assert.equal(text, 'select * from public."alerts" where "kind" = $1');
    assert.deepEqual(values, ["x' or '1'='1"]);
  });

  for (const [relation, params] of [
    ["alerts; drop table x", ""], ["Alerts", ""], ["alerts", "select=id;drop"], ['alerts', 'select="id"'], ["alerts", "kind=like.x%"],
    ["alerts", "k-ind=eq.x"], ["alerts", "order=kind.sideways"], ["alerts", "limit=1;"], ["alerts", "limit=100000"], ["alerts", "kind=is.maybe"],
  ]) {
    it(`refuses ${relation} ?${params}`, () => assert.throws(() => buildSelect(relation, query(params)), (error) => error.status === 400));
  }
});
