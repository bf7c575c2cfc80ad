// `npm start`'s power-ups demo (docs/power-ups.md): the multi-domain demo container has every
// power-up on, set as its owner would set them (POST sgtm-containers/{id}/power-ups, confirmed
// at the edge before the 200; the same settings again change nothing). The demo plan includes
// them all. The blocked range is a documentation range (TEST-NET-1), so no local visitor is
// blocked; bots are flagged, not blocked, so scripted demo traffic still reaches sGTM.

export const POWER_UPS_DEMO = {
  container: "Demo shop + blog (multi-domain)",
  settings: {
    bot_filter: "flag",
    blocked_ips: ["192.0.2.0/24", "2001:db8:dead::/48"],
    anonymizer: "consent",
    device_geo_headers: true,
    click_id_restore: true,
    preview_header: "ZGVtby1wcmV2aWV3LWhlYWRlci1sb2NhbA",
  },
};

/** @returns {Promise<string|null>} the container's id, or null when the demo container is not live */
export async function enablePowerUpsDemo({ sql, clientId, functionsUrl, ownerJwt }) {
  const [row] = await sql`
    select id from public.sgtm_containers
    where client_id = ${clientId} and name = ${POWER_UPS_DEMO.container} and public.edge_config_live(status)`;
  if (!row) return null;
  const response = await fetch(`${functionsUrl}/sgtm-containers/${row.id}/power-ups`, {
    method: "POST",
    headers: { authorization: `Bearer ${ownerJwt}`, "content-type": "application/json" },
    body: JSON.stringify(POWER_UPS_DEMO.settings),
  });
  if (response.status !== 200) {
    throw new Error(`power-ups demo: sgtm-containers/…/power-ups answered ${response.status} ${await response.text()}`);
  }
  return row.id;
}
