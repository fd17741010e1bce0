import pino from "pino";
import postgres from "postgres";
import { connectDatabase } from "@zlh/db";
import type { EdgeNaming } from "../../apps/control-plane/src/edge/desiredEdge";
import { DEFAULT_NAME_TEMPLATE, parseNameTemplate } from "../../apps/control-plane/src/edge/naming";
import { auditEdgeProvider } from "../../apps/control-plane/src/edge/audit";
import { edgePass } from "../../apps/control-plane/src/edge/pass";
import { rfc2136Factory } from "../../apps/control-plane/src/edge/providers/rfc2136/edgeProvider";
import { startBind } from "../../apps/control-plane/test/edge/bind";
import { seedFleet } from "./fleet";
import { enrollAgents } from "./heartbeats";
import type { BenchSystem } from "./system";

export interface EdgeBenchResult {
  servers: number;
  /** One edge pass over the whole fleet with nothing dirty and nothing due. */
  edgeQuietPassMs: number;
  /** Passes, and their total time, that publish (apply and verify against a real BIND 9) `published` new records. */
  edgePublishMs: number;
  edgePublishPasses: number;
  published: number;
  /** One audit of the zone (a signed AXFR of every record, compared with the provider's publications) with nothing wrong. */
  edgeAuditMs: number;
  /** The same audit after one record was deleted by hand with nsupdate: it finds it and puts it back. */
  edgeAuditRepairMs: number;
}

/**
 * The edge pass over a seeded fleet (`hosts` x `perHost` running servers), against a real BIND 9 through RFC
 * 2136: first the fleet's dirty marks drained (the seeded servers have no address, so nothing is published),
 * then a quiet pass, then `publish` servers given an address and the passes that publish and verify them, then
 * the audit of the zone: once with nothing wrong, once with a record deleted by hand.
 */
export async function measureEdge(sys: BenchSystem, hosts: number, perHost: number, publish: number): Promise<EdgeBenchResult> {
  await enrollAgents(sys, hosts);
  const sql = postgres(sys.databaseUrl, { max: 1, onnotice: () => {} });
  const bind = await startBind();
  const database = connectDatabase(sys.databaseUrl, { max: 20 });
  try {
    const servers = await seedFleet(sys, sql, perHost);
    const naming: EdgeNaming = { zone: bind.zone, template: parseNameTemplate(DEFAULT_NAME_TEMPLATE), edge: null, ttl: 60 };
    const provider = rfc2136Factory.create("bench-dns", { server: `127.0.0.1:${bind.port}`, keyName: bind.keyName, keySecret: bind.secret }, naming);
    const deps = { db: database.db, log: pino({ level: "silent" }), providers: [provider] };
    while ((await edgePass(deps)).dirty > 0);
    let t = performance.now();
    const quiet = await edgePass(deps);
    const edgeQuietPassMs = performance.now() - t;
    if (quiet.dirty + quiet.attempted > 0) throw new Error(`a quiet edge pass had work: ${JSON.stringify(quiet)}`);
    await sql`
      update servers s set address = ('10.' || (n / 65536) % 256 || '.' || (n / 256) % 256 || '.' || n % 256 || '/32')::inet
      from (select id, (row_number() over (order by id))::int as n from servers where address is null order by id limit ${publish}) p where s.id = p.id`;
    t = performance.now();
    let passes = 0;
    for (let r = await edgePass(deps); r.dirty + r.attempted > 0; r = await edgePass(deps)) {
      passes++;
      if (r.failed > 0) throw new Error(`an edge pass failed ${r.failed} publications`);
    }
    const edgePublishMs = performance.now() - t;
    const [{ n } = { n: 0 }] = await sql<{ n: number }[]>`select count(*)::int as n from edge_publications where applied_hash is not null and applied_hash = desired_hash`;
    if (n !== publish) throw new Error(`${n} of ${publish} publications verified`);
    t = performance.now();
    const audit = await auditEdgeProvider(deps, provider);
    const edgeAuditMs = performance.now() - t;
    if (audit?.due !== 0) throw new Error(`an audit of a zone as desired found work: ${JSON.stringify(audit)}`);
    const [{ vmid } = { vmid: 0 }] = await sql<{ vmid: number }[]>`select s.vmid from servers s join edge_publications p on p.server_id = s.id limit 1`;
    await bind.nsupdate([`update delete _minecraft._tcp.mc-fabric-${vmid}.${bind.zone}. SRV`]);
    t = performance.now();
    const repair = await auditEdgeProvider(deps, provider);
    const edgeAuditRepairMs = performance.now() - t;
    if (repair?.repaired !== 1) throw new Error(`the audit did not repair the record deleted by hand: ${JSON.stringify(repair)}`);
    return { servers, edgeQuietPassMs, edgePublishMs, edgePublishPasses: passes, published: n, edgeAuditMs, edgeAuditRepairMs };
  } finally {
    await database.close();
    await bind.stop();
    await sql.end();
  }
}
