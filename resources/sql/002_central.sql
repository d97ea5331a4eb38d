-- 002_central.sql: the central office's read-only mode (issue #5).
-- SPDX-License-Identifier: GPL-3.0-or-later
--
-- Applied by `wastetag-cli central init` after 001, in the same transaction
-- as its row in ingest.schema_version; init never applies it twice.
--
-- An office is a LOGIN role in wastetag_central (`central add-office`). It
-- reads through row-level security (001 gave wastetag_central a policy that
-- sees every row of event, anomaly, site and sync_cursor) and holds no
-- INSERT, UPDATE, DELETE or TRUNCATE grant and no EXECUTE on any function
-- that writes: read-only by construction, not by the client's good manners.
--
-- ingest.central_feed() is SECURITY INVOKER on purpose: the caller's
-- policies decide what it returns, so an office sees every site and a site
-- role never more than its own site's events.

SET LOCAL ROLE wastetag_owner;

-- The mirror pages by (ingest_xid, server_seq); without this index every
-- page would scan the whole table.
CREATE INDEX event_by_ingest ON ingest.event (ingest_xid, server_seq);

-- Events the caller may read after the cursor (ingest_xid, server_seq), in
-- cursor order, below the watermark: every row whose ingest_xid is under
-- pg_snapshot_xmin() of the caller's snapshot is committed (or gone), so a
-- transaction that commits late is never stepped over. Call it inside one
-- REPEATABLE READ transaction together with feed_watermark(). A site role
-- gets its own site's events only: what concerns it from other sites comes
-- through its sync (feed_for_site), whose cursor follows the concern.
CREATE FUNCTION ingest.central_feed (p_xid xid8, p_seq bigint, p_limit integer)
RETURNS TABLE (event_id uuid, device_id uuid, device_seq bigint, site_id text, container_code text,
               kind text, prev_custody uuid, actor text, wall_ms bigint, hlc bigint, payload text,
               prev_hash bytea, hash bytea, sig bytea, cursor_xid xid8, server_seq bigint)
LANGUAGE sql STABLE SECURITY INVOKER SET search_path = ingest, pg_temp AS $$
  SELECT e.event_id, e.device_id, e.device_seq, e.site_id, e.container_code, e.kind, e.prev_custody,
         e.actor, e.wall_ms, e.hlc, e.payload, e.prev_hash, e.hash, e.sig, e.ingest_xid, e.server_seq
    FROM ingest.event e
   WHERE e.ingest_xid < pg_snapshot_xmin (pg_current_snapshot ())
     AND (e.ingest_xid, e.server_seq) > (p_xid, p_seq)
     AND (pg_has_role (session_user, 'wastetag_central', 'MEMBER')
          OR pg_has_role (session_user, 'wastetag_owner', 'MEMBER')
          OR e.site_id = ingest.current_site ())
   ORDER BY e.ingest_xid, e.server_seq
   LIMIT p_limit
$$;

CREATE FUNCTION ingest.feed_watermark () RETURNS xid8
LANGUAGE sql STABLE SECURITY INVOKER AS $$
  SELECT pg_snapshot_xmin (pg_current_snapshot ())
$$;

-- Ed25519 cannot be checked in SQL, and with a hash join over a whole batch
-- the planner's JIT costs more than it saves on every push.
ALTER FUNCTION ingest.apply_stage (uuid) SET jit = off;
ALTER FUNCTION ingest.after_insert (uuid, bigint) SET jit = off;

REVOKE ALL ON FUNCTION ingest.central_feed (xid8, bigint, integer), ingest.feed_watermark () FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ingest.central_feed (xid8, bigint, integer), ingest.feed_watermark ()
  TO wastetag_central, wastetag_site, wastetag_admin;

-- Offices read, never write, whatever a later grant says.
REVOKE INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON ALL TABLES IN SCHEMA ingest FROM wastetag_central;

RESET ROLE;
