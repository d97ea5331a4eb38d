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

-- ---- Push: the same checks as 001, less server time per event --------------------
-- Measured (bench/sync, 10,000-row batches): the planner's JIT compiled
-- every batch's statements for nothing; ON CONFLICT's speculative insertion
-- was a third of the insert. Every join here starts from one batch and
-- probes an index; a hash join would scan the whole event table.
ALTER FUNCTION ingest.after_insert (uuid, bigint) SET jit = off;

CREATE OR REPLACE FUNCTION ingest.apply_stage (p_device uuid)
RETURNS TABLE (inserted bigint, duplicates bigint, last_seq bigint, status text)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = ingest, pg_temp SET work_mem = '64MB' SET jit = off
  SET enable_hashjoin = off SET enable_mergejoin = off AS $$
DECLARE
  v_dev ingest.device := ingest.own_device (p_device);
  v_cur ingest.sync_cursor;
  v_n bigint;
  v_bad bigint;
  v_dup bigint := 0;
  v_new bigint;
  v_ins bigint := 0;
  v_first bigint;
  v_first_prev bytea;
  v_badhash bigint;
  v_badlink bigint;
  v_clock bigint;
  v_last bigint;
  v_last_hash bytea;
  v_now bigint := ingest.now_ms ();
  v_fork record;
BEGIN
  IF v_dev.blocked THEN
    RAISE EXCEPTION 'device % is blocked: %', p_device, v_dev.blocked_reason USING ERRCODE = 'WTB01';
  END IF;
  INSERT INTO ingest.sync_cursor (device_id) VALUES (p_device) ON CONFLICT DO NOTHING;
  SELECT * INTO v_cur FROM ingest.sync_cursor c WHERE c.device_id = p_device FOR UPDATE;

  -- One pass over the batch: ownership, hashes, links, what is new, clocks.
  SELECT count (*),
         count (*) FILTER (WHERE l.device_id IS DISTINCT FROM p_device OR l.site_id IS DISTINCT FROM v_dev.site_id),
         count (*) FILTER (WHERE l.hash IS DISTINCT FROM ingest.event_hash (l.prev_hash, l.event_id, l.device_id,
                              l.device_seq, l.site_id, l.container_code, l.kind, l.actor, l.wall_ms, l.hlc, l.payload)
                              OR l.event_id IS NULL OR l.sig IS NULL OR l.prev_hash IS NULL),
         count (*) FILTER (WHERE l.lseq IS NOT NULL AND (l.device_seq <> l.lseq + 1 OR l.prev_hash <> l.lhash)),
         count (*) FILTER (WHERE l.device_seq <= v_cur.last_seq),
         count (*) FILTER (WHERE l.device_seq > v_cur.last_seq),
         min (l.device_seq) FILTER (WHERE l.device_seq > v_cur.last_seq),
         max (l.device_seq),
         count (*) FILTER (WHERE l.device_seq > v_cur.last_seq
                             AND (l.wall_ms > v_now + 600000 OR l.wall_ms < coalesce (v_cur.last_server_ms, 0) - 600000))
    INTO v_n, v_bad, v_badhash, v_badlink, v_dup, v_new, v_first, v_last, v_clock
    FROM (SELECT s.*, lag (s.device_seq) OVER w AS lseq, lag (s.hash) OVER w AS lhash
            FROM pg_temp.stage s WINDOW w AS (ORDER BY s.device_seq)) l;
  IF v_bad > 0 THEN
    RAISE EXCEPTION '% rows of the batch belong to another device or site', v_bad USING ERRCODE = '42501';
  END IF;
  IF v_n = 0 THEN
    RETURN QUERY SELECT 0::bigint, 0::bigint, v_cur.last_seq, 'ok'::text;
    RETURN;
  END IF;
  IF v_badhash > 0 THEN
    RAISE EXCEPTION '% rows with bad hash', v_badhash USING ERRCODE = 'WTH01';
  END IF;
  IF v_badlink > 0 THEN
    RAISE EXCEPTION 'broken chain in batch (% rows)', v_badlink USING ERRCODE = 'WTC01';
  END IF;

  -- Rows the cursor already covers: the stored ones again, or a fork.
  IF v_dup > 0 THEN
    SELECT s.device_seq, to_jsonb (s) AS got, to_jsonb (e) - 'ingest_xid' AS stored INTO v_fork
      FROM pg_temp.stage s
      LEFT JOIN ingest.event e ON e.device_id = s.device_id AND e.device_seq = s.device_seq
     WHERE s.device_seq <= v_cur.last_seq AND (e.hash IS DISTINCT FROM s.hash)
     ORDER BY s.device_seq LIMIT 1;
    IF FOUND THEN
      PERFORM ingest.record_fork (v_dev, v_fork.device_seq,
                                  jsonb_build_object ('stored', v_fork.stored, 'pushed', v_fork.got));
      RETURN QUERY SELECT 0::bigint, 0::bigint, v_cur.last_seq, 'fork'::text;
      RETURN;
    END IF;
  END IF;
  IF v_new = 0 THEN
    RETURN QUERY SELECT 0::bigint, v_dup, v_cur.last_seq, 'ok'::text;
    RETURN;
  END IF;
  IF v_first <> v_cur.last_seq + 1 THEN
    RETURN QUERY SELECT 0::bigint, v_dup, v_cur.last_seq, 'gap'::text;
    RETURN;
  END IF;
  SELECT s.prev_hash INTO v_first_prev FROM pg_temp.stage s WHERE s.device_seq = v_first;
  IF v_first_prev <> v_cur.last_hash THEN
    SELECT to_jsonb (s) AS got INTO v_fork FROM pg_temp.stage s WHERE s.device_seq = v_first;
    PERFORM ingest.record_fork (v_dev, v_first,
      jsonb_build_object ('pushed', v_fork.got,
                          'stored', (SELECT to_jsonb (e) - 'ingest_xid' FROM ingest.event e
                                      WHERE e.device_id = p_device AND e.device_seq = v_cur.last_seq)));
    RETURN QUERY SELECT 0::bigint, v_dup, v_cur.last_seq, 'fork'::text;
    RETURN;
  END IF;

  -- An id already stored is skipped by probing the primary key first:
  -- ON CONFLICT's speculative insertion cost a third of the insert. Only
  -- another device's push of the same id at this very moment can still
  -- collide; then the batch takes the slow path, in the same transaction.
  BEGIN
    INSERT INTO ingest.event (event_id, device_id, device_seq, site_id, container_code, kind,
                              prev_custody, actor, wall_ms, hlc, payload, prev_hash, hash, sig)
    SELECT s.event_id, s.device_id, s.device_seq, s.site_id, s.container_code, s.kind,
           s.prev_custody, s.actor, s.wall_ms, s.hlc, s.payload, s.prev_hash, s.hash, s.sig
      FROM pg_temp.stage s
     WHERE s.device_seq > v_cur.last_seq
       AND NOT EXISTS (SELECT 1 FROM ingest.event e WHERE e.event_id = s.event_id)
     ORDER BY s.device_seq;
    GET DIAGNOSTICS v_ins = ROW_COUNT;
  EXCEPTION WHEN unique_violation THEN
    INSERT INTO ingest.event (event_id, device_id, device_seq, site_id, container_code, kind,
                              prev_custody, actor, wall_ms, hlc, payload, prev_hash, hash, sig)
    SELECT s.event_id, s.device_id, s.device_seq, s.site_id, s.container_code, s.kind,
           s.prev_custody, s.actor, s.wall_ms, s.hlc, s.payload, s.prev_hash, s.hash, s.sig
      FROM pg_temp.stage s WHERE s.device_seq > v_cur.last_seq ORDER BY s.device_seq
    ON CONFLICT (event_id) DO NOTHING;
    GET DIAGNOSTICS v_ins = ROW_COUNT;
  END;

  -- The same id already stored with other content: keep the first, keep
  -- this one beside it in the anomaly, never merge.
  IF v_ins < v_new THEN
    INSERT INTO ingest.anomaly (kind, site_id, other_site_id, device_id, container_code, event_id, detail)
    SELECT 'conflicting_duplicate', v_dev.site_id, e.site_id, p_device, s.container_code, s.event_id,
           jsonb_build_object ('stored', to_jsonb (e) - 'ingest_xid', 'pushed', to_jsonb (s))
      FROM pg_temp.stage s JOIN ingest.event e ON e.event_id = s.event_id
     WHERE s.device_seq > v_cur.last_seq
       AND (e.device_id <> s.device_id OR e.device_seq <> s.device_seq);
  END IF;

  SELECT s.hash INTO v_last_hash FROM pg_temp.stage s WHERE s.device_seq = v_last;
  UPDATE ingest.sync_cursor c SET last_seq = v_last, last_hash = v_last_hash, updated_at = now ()
   WHERE c.device_id = p_device;

  -- A9: wall clock outside (last server time the device saw, now + 10 min].
  IF v_clock > 0 THEN
  INSERT INTO ingest.anomaly (kind, site_id, device_id, detail)
  SELECT 'clock_suspect', v_dev.site_id, p_device,
         jsonb_build_object ('events', count (*), 'seq_from', min (s.device_seq), 'seq_to', max (s.device_seq),
                             'min_wall_ms', min (s.wall_ms), 'max_wall_ms', max (s.wall_ms),
                             'server_ms', v_now, 'not_before_ms', v_cur.last_server_ms)
    FROM pg_temp.stage s
   WHERE s.device_seq > v_cur.last_seq
     AND (s.wall_ms > v_now + 600000 OR s.wall_ms < coalesce (v_cur.last_server_ms, 0) - 600000);
  END IF;

  PERFORM ingest.after_insert (p_device, v_cur.last_seq);

  RETURN QUERY SELECT v_ins, v_dup, v_last, 'ok'::text;
END
$$;


REVOKE ALL ON FUNCTION ingest.central_feed (xid8, bigint, integer), ingest.feed_watermark () FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ingest.central_feed (xid8, bigint, integer), ingest.feed_watermark ()
  TO wastetag_central, wastetag_site, wastetag_admin;

-- Offices read, never write, whatever a later grant says.
REVOKE INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON ALL TABLES IN SCHEMA ingest FROM wastetag_central;

RESET ROLE;
