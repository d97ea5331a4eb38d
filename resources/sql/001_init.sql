-- 001_init.sql: the central store of Wastetag (issue #5).
-- SPDX-License-Identifier: GPL-3.0-or-later
--
-- Applied by `wastetag-cli central init` inside one transaction, together with
-- the row in ingest.schema_version that says so. Everything lives in schema
-- `ingest`, owned by the NOLOGIN role wastetag_owner; the functions below are
-- SECURITY DEFINER as that owner. Sites (LOGIN roles, members of
-- wastetag_site) have no INSERT, UPDATE or DELETE grant on any table: they
-- write only through the functions, which check session_user -> site ->
-- device themselves, and they read through row-level security.
--
-- The event hash is recomputed here exactly as event_hash() in
-- app/core/wt-ledger.c does it; keep the two in step.

DO $roles$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'wastetag_owner') THEN
    CREATE ROLE wastetag_owner NOLOGIN;
  END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'wastetag_site') THEN
    CREATE ROLE wastetag_site NOLOGIN;
  END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'wastetag_central') THEN
    CREATE ROLE wastetag_central NOLOGIN;
  END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'wastetag_admin') THEN
    CREATE ROLE wastetag_admin NOLOGIN;
  END IF;
  EXECUTE format ('GRANT wastetag_owner, wastetag_admin TO %I', current_user);
  EXECUTE format ('GRANT CONNECT ON DATABASE %I TO wastetag_site, wastetag_central', current_database ());
END
$roles$;

CREATE SCHEMA ingest AUTHORIZATION wastetag_owner;
SET LOCAL ROLE wastetag_owner;

CREATE TABLE ingest.schema_version (
  version    integer PRIMARY KEY,
  name       text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now ());

CREATE TABLE ingest.site (
  site_id    text PRIMARY KEY,
  name       text NOT NULL,
  role_name  name NOT NULL UNIQUE,
  created_at timestamptz NOT NULL DEFAULT now ());

CREATE TABLE ingest.device (
  device_id      uuid PRIMARY KEY,
  site_id        text NOT NULL REFERENCES ingest.site,
  pubkey         bytea NOT NULL CHECK (octet_length (pubkey) = 32),
  blocked        boolean NOT NULL DEFAULT false,
  blocked_reason text,
  registered_at  timestamptz NOT NULL DEFAULT now ());

-- The payload is kept as the exact text the device hashed and signed (jsonb
-- would reorder and respace it); cast it where its fields are needed.
CREATE TABLE ingest.event (
  event_id       uuid PRIMARY KEY,
  device_id      uuid NOT NULL REFERENCES ingest.device,
  device_seq     bigint NOT NULL CHECK (device_seq > 0),
  site_id        text NOT NULL,
  container_code text NOT NULL,
  kind           text NOT NULL,
  prev_custody   uuid,
  actor          text NOT NULL,
  wall_ms        bigint NOT NULL,
  hlc            bigint NOT NULL,
  payload        text NOT NULL,
  prev_hash      bytea NOT NULL,
  hash           bytea NOT NULL,
  sig            bytea NOT NULL,
  received_at    timestamptz NOT NULL DEFAULT now (),
  ingest_xid     xid8 NOT NULL DEFAULT pg_current_xact_id (),
  server_seq     bigint GENERATED ALWAYS AS IDENTITY,
  UNIQUE (device_id, device_seq));
CREATE INDEX event_by_container ON ingest.event (container_code, hlc);

CREATE FUNCTION ingest.no_change () RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'the central ledger is append-only' USING ERRCODE = 'WTA01';
END
$$;
CREATE TRIGGER event_append_only BEFORE UPDATE OR DELETE ON ingest.event
  FOR EACH ROW EXECUTE FUNCTION ingest.no_change ();
CREATE TRIGGER event_no_truncate BEFORE TRUNCATE ON ingest.event
  FOR EACH STATEMENT EXECUTE FUNCTION ingest.no_change ();

-- The acknowledgement: how far each device's chain is stored here.
CREATE TABLE ingest.sync_cursor (
  device_id       uuid PRIMARY KEY REFERENCES ingest.device,
  last_seq        bigint NOT NULL DEFAULT 0,
  last_hash       bytea NOT NULL DEFAULT '\x0000000000000000000000000000000000000000000000000000000000000000',
  clock_offset_ms bigint,
  last_server_ms  bigint,
  updated_at      timestamptz);

-- Which sites a container concerns beyond its producer: filled by
-- apply_stage() from handovers. added_xid makes a container that becomes a
-- site's concern late deliver its whole history through the feed.
CREATE TABLE ingest.container_site (
  site_id        text NOT NULL,
  container_code text NOT NULL,
  added_xid      xid8 NOT NULL DEFAULT pg_current_xact_id (),
  PRIMARY KEY (site_id, container_code));
CREATE INDEX container_site_by_code ON ingest.container_site (container_code);

-- The feed, kept as events arrive so a pull is an index range scan whatever
-- the store's size: one row per (site, event of another site on a container
-- that concerns it). feed_xid is the transaction that made the row, so an
-- old container that becomes a site's concern late delivers its history.
CREATE TABLE ingest.site_feed (
  site_id    text NOT NULL,
  event_id   uuid NOT NULL,
  server_seq bigint NOT NULL,
  feed_xid   xid8 NOT NULL DEFAULT pg_current_xact_id (),
  PRIMARY KEY (site_id, event_id));
CREATE INDEX site_feed_order ON ingest.site_feed (site_id, feed_xid, server_seq);

CREATE TABLE ingest.anomaly (
  id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  kind              text NOT NULL,
  site_id           text,
  other_site_id     text,
  device_id         uuid,
  container_code    text,
  event_id          uuid,
  other_event_id    uuid,
  detail            jsonb NOT NULL DEFAULT '{}',
  detected_at       timestamptz NOT NULL DEFAULT now (),
  cleared_at        timestamptz,
  cleared_by        uuid,
  resolved_by_event uuid);
CREATE INDEX anomaly_by_container ON ingest.anomaly (container_code);

-- Signatures cannot be checked in SQL; `wastetag-cli central verify` checks
-- them with libsodium and keeps its place here.
CREATE TABLE ingest.verify_state (
  device_id    uuid PRIMARY KEY REFERENCES ingest.device,
  verified_seq bigint NOT NULL DEFAULT 0,
  verified_at  timestamptz);

-- What a push stages: each session copies into its own temporary table
-- CREATE TEMP TABLE stage (LIKE ingest.stage_template) ON COMMIT DROP.
CREATE TABLE ingest.stage_template (
  event_id       uuid,
  device_id      uuid,
  device_seq     bigint,
  site_id        text,
  container_code text,
  kind           text,
  prev_custody   uuid,
  actor          text,
  wall_ms        bigint,
  hlc            bigint,
  payload        text,
  prev_hash      bytea,
  hash           bytea,
  sig            bytea);

-- ---- Helpers -----------------------------------------------------------------

CREATE FUNCTION ingest.event_hash (prev bytea, eid uuid, dev uuid, seq bigint, site text,
                                   container text, kind text, actor text, wall bigint,
                                   hlc bigint, payload text)
RETURNS bytea LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT sha256 ('\x77617374657461672d6576656e742d7631'::bytea || prev || convert_to (concat (
    octet_length (eid::text), ':', eid::text,
    octet_length (dev::text), ':', dev::text,
    octet_length (site), ':', site,
    octet_length (container), ':', container,
    octet_length (kind), ':', kind,
    octet_length (actor), ':', actor,
    octet_length (payload), ':', payload,
    seq, ':', wall, ':', hlc), 'UTF8'))
$$;

-- A payload field (the whole payload for a NULL key), or NULL when the
-- payload is not JSON: one site's odd
-- payload must not break another site's ingest.
CREATE FUNCTION ingest.jfield (p_payload text, p_key text) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
  IF p_key IS NULL THEN
    RETURN p_payload::jsonb;
  END IF;
  RETURN p_payload::jsonb -> p_key;
EXCEPTION WHEN others THEN
  RETURN NULL;
END
$$;

CREATE FUNCTION ingest.kg (p_payload text) RETURNS float8
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN jsonb_typeof (ingest.jfield (p_payload, 'weight_kg')) = 'number'
              THEN (ingest.jfield (p_payload, 'weight_kg'))::text::float8 END
$$;

CREATE FUNCTION ingest.now_ms () RETURNS bigint LANGUAGE sql STABLE AS $$
  SELECT (extract (epoch FROM clock_timestamp ()) * 1000)::bigint
$$;

-- The site of the connected role, or NULL.
CREATE FUNCTION ingest.current_site () RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = ingest, pg_temp AS $$
  SELECT site_id FROM ingest.site WHERE role_name = session_user
$$;

CREATE FUNCTION ingest.is_admin () RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = ingest, pg_temp AS $$
  SELECT pg_has_role (session_user, 'wastetag_admin', 'MEMBER')
$$;

-- Whether a container concerns the connected site (used by the policies).
CREATE FUNCTION ingest.concerns (p_container text) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = ingest, pg_temp AS $$
  SELECT EXISTS (SELECT 1 FROM ingest.container_site cs
                  WHERE cs.container_code = p_container
                    AND cs.site_id = (SELECT site_id FROM ingest.site WHERE role_name = session_user))
$$;

-- The device, checked against the connected site; admins act for any site.
CREATE FUNCTION ingest.own_device (p_device uuid) RETURNS ingest.device
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = ingest, pg_temp AS $$
DECLARE
  v_site text := ingest.current_site ();
  v_dev ingest.device;
BEGIN
  IF v_site IS NULL AND NOT ingest.is_admin () THEN
    RAISE EXCEPTION 'role % is not a Wastetag site', session_user USING ERRCODE = '42501';
  END IF;
  SELECT * INTO v_dev FROM ingest.device WHERE device_id = p_device;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'device % is not registered', p_device USING ERRCODE = 'WTD01';
  END IF;
  IF v_site IS NOT NULL AND v_dev.site_id <> v_site THEN
    RAISE EXCEPTION 'device % is not registered to site %', p_device, v_site USING ERRCODE = '42501';
  END IF;
  RETURN v_dev;
END
$$;

-- ---- Enrolment -------------------------------------------------------------------

-- A device registers its public key on its first sync. The same key again is
-- a no-op; another key or another site for a known device is refused.
CREATE FUNCTION ingest.register_device (p_device uuid, p_pubkey bytea, p_site text DEFAULT NULL)
RETURNS boolean LANGUAGE plpgsql SECURITY DEFINER SET search_path = ingest, pg_temp AS $$
DECLARE
  v_site text := ingest.current_site ();
  v_dev ingest.device;
BEGIN
  IF v_site IS NULL THEN
    IF NOT ingest.is_admin () OR p_site IS NULL THEN
      RAISE EXCEPTION 'role % is not a Wastetag site', session_user USING ERRCODE = '42501';
    END IF;
    v_site := p_site;
  END IF;
  SELECT * INTO v_dev FROM ingest.device WHERE device_id = p_device;
  IF FOUND THEN
    IF v_dev.site_id <> v_site OR v_dev.pubkey <> p_pubkey THEN
      RAISE EXCEPTION 'device % is already registered with another key or site', p_device
        USING ERRCODE = '42501';
    END IF;
    RETURN false;
  END IF;
  INSERT INTO ingest.device (device_id, site_id, pubkey) VALUES (p_device, v_site, p_pubkey);
  INSERT INTO ingest.sync_cursor (device_id) VALUES (p_device);
  RETURN true;
END
$$;

CREATE FUNCTION ingest.record_fork (p_dev ingest.device, p_seq bigint, p_detail jsonb)
RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = ingest, pg_temp AS $$
BEGIN
  INSERT INTO ingest.anomaly (kind, site_id, device_id, detail)
  VALUES ('device_fork', p_dev.site_id, p_dev.device_id, p_detail || jsonb_build_object ('seq', p_seq));
  UPDATE ingest.device SET blocked = true,
         blocked_reason = format ('chain forked at sequence %s', p_seq)
   WHERE device_id = p_dev.device_id;
END
$$;

-- ---- Push ---------------------------------------------------------------------

-- Step 1 of a push transaction: locks the device's cursor (one push per
-- device at a time) and says where to resume. The client gives its chain
-- head; a head at or below the cursor whose hash differs from ours is a fork
-- (an old backup restored): the device is blocked and status is 'fork'.
CREATE FUNCTION ingest.claim_cursor (p_device uuid, p_head_seq bigint, p_head_hash bytea,
                                     p_clock_offset_ms bigint DEFAULT NULL)
RETURNS TABLE (last_seq bigint, last_hash bytea, status text)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = ingest, pg_temp AS $$
DECLARE
  v_dev ingest.device := ingest.own_device (p_device);
  v_cur ingest.sync_cursor;
  v_row ingest.event;
BEGIN
  IF v_dev.blocked THEN
    RETURN QUERY SELECT 0::bigint, NULL::bytea, 'blocked'::text;
    RETURN;
  END IF;
  INSERT INTO ingest.sync_cursor (device_id) VALUES (p_device) ON CONFLICT DO NOTHING;
  SELECT * INTO v_cur FROM ingest.sync_cursor c WHERE c.device_id = p_device FOR UPDATE;

  IF p_clock_offset_ms IS NOT NULL THEN
    UPDATE ingest.sync_cursor c SET clock_offset_ms = p_clock_offset_ms WHERE c.device_id = p_device;
    IF abs (p_clock_offset_ms) > 120000 AND NOT EXISTS (
         SELECT 1 FROM ingest.anomaly a WHERE a.kind = 'clock_offset' AND a.device_id = p_device
            AND a.resolved_by_event IS NULL AND a.cleared_at IS NULL) THEN
      INSERT INTO ingest.anomaly (kind, site_id, device_id, detail)
      VALUES ('clock_offset', v_dev.site_id, p_device,
              jsonb_build_object ('offset_ms', p_clock_offset_ms, 'server_ms', ingest.now_ms (),
                                  'threshold_ms', 120000));
    END IF;
  END IF;

  IF p_head_seq > 0 AND p_head_seq <= v_cur.last_seq THEN
    SELECT * INTO v_row FROM ingest.event e WHERE e.device_id = p_device AND e.device_seq = p_head_seq;
    IF v_row.hash IS DISTINCT FROM p_head_hash THEN
      PERFORM ingest.record_fork (v_dev, p_head_seq,
        jsonb_build_object ('stored', to_jsonb (v_row) - 'ingest_xid',
                            'device_head', jsonb_build_object ('seq', p_head_seq,
                                                               'hash', encode (p_head_hash, 'hex'))));
      RETURN QUERY SELECT v_cur.last_seq, v_cur.last_hash, 'fork'::text;
      RETURN;
    END IF;
    IF p_head_seq < v_cur.last_seq THEN
      RETURN QUERY SELECT v_cur.last_seq, v_cur.last_hash, 'behind'::text;
      RETURN;
    END IF;
  END IF;

  RETURN QUERY SELECT v_cur.last_seq, v_cur.last_hash, 'ok'::text;
END
$$;

-- Step 2: checks and stores what the session copied into pg_temp.stage.
-- Hashes are recomputed, links checked within the batch and onto the cursor;
-- rows at or below the cursor must be the stored ones (else: fork); new rows
-- go in with ON CONFLICT (event_id) DO NOTHING, and the cursor moves over
-- them in the same transaction. A bad hash or a broken link rejects the
-- whole batch with an error; a fork is recorded and the device blocked.
CREATE FUNCTION ingest.apply_stage (p_device uuid)
RETURNS TABLE (inserted bigint, duplicates bigint, last_seq bigint, status text)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = ingest, pg_temp SET work_mem = '64MB' AS $$
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

  INSERT INTO ingest.event (event_id, device_id, device_seq, site_id, container_code, kind,
                            prev_custody, actor, wall_ms, hlc, payload, prev_hash, hash, sig)
  SELECT s.event_id, s.device_id, s.device_seq, s.site_id, s.container_code, s.kind,
         s.prev_custody, s.actor, s.wall_ms, s.hlc, s.payload, s.prev_hash, s.hash, s.sig
    FROM pg_temp.stage s WHERE s.device_seq > v_cur.last_seq ORDER BY s.device_seq
  ON CONFLICT (event_id) DO NOTHING;
  GET DIAGNOSTICS v_ins = ROW_COUNT;

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

-- Custody rules over the rows just stored (A5, A6, A7), the concern
-- relation the feed follows, and resolutions. Only handovers are looked at,
-- which keeps ingest fast.
-- Every join here starts from one batch and probes an index; a hash join
-- would scan the whole event table once per batch, so those are off.
CREATE FUNCTION ingest.after_insert (p_device uuid, p_after_seq bigint)
RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = ingest, pg_temp
  SET enable_hashjoin = off SET enable_mergejoin = off AS $$
BEGIN
  -- New events of containers that already concern other sites.
  INSERT INTO ingest.site_feed (site_id, event_id, server_seq)
  SELECT cs.site_id, e.event_id, e.server_seq
    FROM ingest.event e
    JOIN ingest.container_site cs ON cs.container_code = e.container_code AND cs.site_id <> e.site_id
   WHERE e.device_id = p_device AND e.device_seq > p_after_seq
  ON CONFLICT DO NOTHING;

  -- The new handovers are the stage's rows after the old cursor (the
  -- stored rows are byte for byte the same; their hashes were checked).
  EXECUTE format ('CREATE TEMP VIEW wt_new AS SELECT s.* FROM pg_temp.stage s'
                  ' WHERE s.device_seq > %s AND s.kind IN (''shipped'', ''received'', ''rejected'', ''resolution'')',
                  p_after_seq);
  IF NOT EXISTS (SELECT 1 FROM wt_new) THEN
    DROP VIEW wt_new;
    RETURN;
  END IF;

  -- Who a container concerns: the receiver a shipment names, and every site
  -- that has events on a container that changed hands; then its producer.
  WITH other AS (
    SELECT st.site_id, n.container_code, n.site_id AS own
      FROM (SELECT j.site_id, j.container_code, j.p ->> 'receiver' AS receiver, j.p ->> 'receiver_site' AS receiver_site
              FROM (SELECT w.site_id, w.container_code, ingest.jfield (w.payload, NULL) AS p
                      FROM wt_new w WHERE w.kind = 'shipped' OFFSET 0) j) n
      JOIN ingest.site st ON st.site_id <> n.site_id
       AND (st.name = n.receiver OR st.site_id = n.receiver OR st.site_id = n.receiver_site)
    UNION ALL
    SELECT e.site_id, n.container_code, n.site_id FROM wt_new n
      JOIN ingest.event e ON e.container_code = n.container_code AND e.site_id <> n.site_id
     WHERE n.kind <> 'resolution')
  , added AS (
  INSERT INTO ingest.container_site (site_id, container_code)
  SELECT DISTINCT x.site_id, x.container_code FROM (
    SELECT o.site_id, o.container_code FROM other o
    UNION ALL
    SELECT o.own, o.container_code FROM other o) x
  ON CONFLICT DO NOTHING
  RETURNING site_id, container_code)
  -- A container that newly concerns a site brings its whole history.
  INSERT INTO ingest.site_feed (site_id, event_id, server_seq)
  SELECT a.site_id, e.event_id, e.server_seq
    FROM added a JOIN ingest.event e ON e.container_code = a.container_code AND e.site_id <> a.site_id
  ON CONFLICT DO NOTHING;

  -- A6: a receipt whose pickup is not here (yet).
  INSERT INTO ingest.anomaly (kind, site_id, device_id, container_code, event_id, detail)
  SELECT 'pending_predecessor', n.site_id, n.device_id, n.container_code, n.event_id,
         jsonb_build_object ('receipt', to_jsonb (n))
    FROM wt_new n
   WHERE n.kind IN ('received', 'rejected')
     AND NOT EXISTS (SELECT 1 FROM ingest.event s WHERE s.container_code = n.container_code AND s.kind = 'shipped');
  -- ... cleared when the pickup arrives.
  UPDATE ingest.anomaly a SET cleared_at = now (), cleared_by = n.event_id, other_site_id = n.site_id
    FROM wt_new n
   WHERE n.kind = 'shipped' AND a.kind = 'pending_predecessor' AND a.container_code = n.container_code
     AND a.cleared_at IS NULL;

  -- A5: picked up twice with no receipt in between (each pair once).
  INSERT INTO ingest.anomaly (kind, site_id, other_site_id, container_code, event_id, other_event_id, detail)
  SELECT 'double_custody', n.site_id, o.site_id, n.container_code, n.event_id, o.event_id,
         jsonb_build_object ('first', to_jsonb (o) - 'ingest_xid', 'second', to_jsonb (n))
    FROM wt_new n
    JOIN ingest.event o ON o.container_code = n.container_code AND o.kind = 'shipped'
                       AND o.event_id <> n.event_id
                       AND (o.device_id <> n.device_id OR o.device_seq < n.device_seq)
   WHERE n.kind = 'shipped'
     AND NOT EXISTS (SELECT 1 FROM ingest.event r
                      WHERE r.container_code = n.container_code AND r.kind IN ('received', 'rejected')
                        AND r.hlc > least (o.hlc, n.hlc) AND r.hlc < greatest (o.hlc, n.hlc));

  -- A7: weights that disagree between pickup and receipt (same tolerance as
  -- the receiving scan: 5 %, at least 1 kg), whichever of the two is new.
  INSERT INTO ingest.anomaly (kind, site_id, other_site_id, container_code, event_id, other_event_id, detail)
  SELECT 'weight_mismatch', p.r_site, p.s_site, p.container_code, p.r_id, p.s_id,
         jsonb_build_object ('shipped_kg', p.s_kg, 'received_kg', p.r_kg,
                             'shipped', p.s_row, 'received', p.r_row)
    FROM (
      SELECT r.site_id AS r_site, s.site_id AS s_site, r.container_code, r.event_id AS r_id, s.event_id AS s_id,
             ingest.kg (r.payload) AS r_kg, ingest.kg (s.payload) AS s_kg,
             to_jsonb (r) AS r_row, to_jsonb (s) - 'ingest_xid' AS s_row
        FROM wt_new r
        JOIN ingest.event s ON s.container_code = r.container_code AND s.kind = 'shipped'
       WHERE r.kind IN ('received', 'rejected')
      UNION ALL
      SELECT r.site_id, s.site_id, r.container_code, r.event_id, s.event_id,
             ingest.kg (r.payload), ingest.kg (s.payload),
             to_jsonb (r) - 'ingest_xid', to_jsonb (s)
        FROM wt_new s
        JOIN ingest.event r ON r.container_code = s.container_code AND r.kind IN ('received', 'rejected')
       WHERE s.kind = 'shipped'
         AND NOT (r.device_id = s.device_id AND r.device_seq > p_after_seq)) p
   WHERE abs (p.r_kg - p.s_kg) > greatest (1.0, 0.05 * p.s_kg)
     AND NOT EXISTS (SELECT 1 FROM ingest.anomaly a WHERE a.kind = 'weight_mismatch'
                        AND a.event_id = p.r_id AND a.other_event_id = p.s_id);

  -- A resolution event names the central anomaly it settles.
  UPDATE ingest.anomaly a SET resolved_by_event = n.event_id
    FROM wt_new n
   WHERE n.kind = 'resolution' AND a.resolved_by_event IS NULL
     AND a.id::text = ingest.jfield (n.payload, 'central_id') #>> '{}'
     AND (a.site_id = n.site_id OR a.other_site_id = n.site_id);

  DROP VIEW wt_new;
END
$$;

-- ---- Pull -------------------------------------------------------------------------

-- The watermark: every row whose effective xid is below it is committed (or
-- gone) and visible, so a cursor never steps over a row that commits late.
-- Call it in the same REPEATABLE READ transaction as feed_for_site().
CREATE FUNCTION ingest.feed_horizon () RETURNS xid8 LANGUAGE sql STABLE AS $$
  SELECT pg_snapshot_xmin (pg_current_snapshot ())
$$;

-- Events of other sites on containers that concern the connected site,
-- after the cursor (feed_xid, server_seq), in cursor order.
CREATE FUNCTION ingest.feed_for_site (p_device uuid, p_xid xid8, p_seq bigint, p_limit integer)
RETURNS TABLE (event_id uuid, device_id uuid, device_seq bigint, site_id text, container_code text,
               kind text, prev_custody uuid, actor text, wall_ms bigint, hlc bigint, payload text,
               prev_hash bytea, hash bytea, sig bytea, cursor_xid xid8, server_seq bigint)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = ingest, pg_temp AS $$
DECLARE
  v_dev ingest.device := ingest.own_device (p_device);
  v_horizon xid8 := pg_snapshot_xmin (pg_current_snapshot ());
BEGIN
  RETURN QUERY
  SELECT e.event_id, e.device_id, e.device_seq, e.site_id, e.container_code, e.kind, e.prev_custody,
         e.actor, e.wall_ms, e.hlc, e.payload, e.prev_hash, e.hash, e.sig, f.feed_xid, f.server_seq
    FROM ingest.site_feed f
    JOIN ingest.event e ON e.event_id = f.event_id
   WHERE f.site_id = v_dev.site_id
     AND f.feed_xid < v_horizon
     AND (f.feed_xid, f.server_seq) > (p_xid, p_seq)
     AND e.device_id <> p_device
   ORDER BY f.feed_xid, f.server_seq
   LIMIT p_limit;
END
$$;

CREATE FUNCTION ingest.device_keys (p_devices uuid[])
RETURNS TABLE (device_id uuid, site_id text, pubkey bytea, blocked boolean)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = ingest, pg_temp AS $$
  SELECT d.device_id, d.site_id, d.pubkey, d.blocked FROM ingest.device d
   WHERE d.device_id = ANY (p_devices)
     AND (ingest.current_site () IS NOT NULL OR ingest.is_admin ())
$$;

-- Anomalies that name the connected site, after an id.
CREATE FUNCTION ingest.anomalies_for_site (p_after bigint)
RETURNS TABLE (id bigint, kind text, container_code text, event_id uuid, other_event_id uuid,
               detail jsonb, detected_ms bigint, cleared_by uuid, resolved_by_event uuid)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = ingest, pg_temp AS $$
  SELECT a.id, a.kind, a.container_code, a.event_id, a.other_event_id, a.detail,
         (extract (epoch FROM a.detected_at) * 1000)::bigint, a.cleared_by, a.resolved_by_event
    FROM ingest.anomaly a
   WHERE a.id > p_after
     AND (a.site_id = ingest.current_site () OR a.other_site_id = ingest.current_site ())
   ORDER BY a.id
$$;

-- End of a sync: the server time the device has now seen (the lower bound
-- of the clock window for its next events).
CREATE FUNCTION ingest.sync_done (p_device uuid) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = ingest, pg_temp AS $$
DECLARE
  v_dev ingest.device := ingest.own_device (p_device);
  v_now bigint := ingest.now_ms ();
BEGIN
  UPDATE ingest.sync_cursor SET last_server_ms = v_now WHERE device_id = v_dev.device_id;
  RETURN v_now;
END
$$;

-- ---- Reading: row-level security -------------------------------------------------

ALTER TABLE ingest.event ENABLE ROW LEVEL SECURITY;
ALTER TABLE ingest.anomaly ENABLE ROW LEVEL SECURITY;
ALTER TABLE ingest.site ENABLE ROW LEVEL SECURITY;
ALTER TABLE ingest.sync_cursor ENABLE ROW LEVEL SECURITY;

CREATE POLICY site_read ON ingest.event FOR SELECT TO wastetag_site
  USING (site_id = ingest.current_site () OR ingest.concerns (container_code));
CREATE POLICY central_read ON ingest.event FOR SELECT TO wastetag_central USING (true);
CREATE POLICY site_read ON ingest.anomaly FOR SELECT TO wastetag_site
  USING (site_id = ingest.current_site () OR other_site_id = ingest.current_site ());
CREATE POLICY central_read ON ingest.anomaly FOR SELECT TO wastetag_central USING (true);
CREATE POLICY site_read ON ingest.site FOR SELECT TO wastetag_site USING (true);
CREATE POLICY central_read ON ingest.site FOR SELECT TO wastetag_central USING (true);
CREATE POLICY site_read ON ingest.sync_cursor FOR SELECT TO wastetag_site
  USING (device_id IN (SELECT d.device_id FROM ingest.device d WHERE d.site_id = ingest.current_site ()));
CREATE POLICY central_read ON ingest.sync_cursor FOR SELECT TO wastetag_central USING (true);

REVOKE ALL ON ALL TABLES IN SCHEMA ingest FROM PUBLIC;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA ingest FROM PUBLIC;
GRANT USAGE ON SCHEMA ingest TO wastetag_site, wastetag_central;
GRANT SELECT ON ingest.event, ingest.anomaly, ingest.site, ingest.device, ingest.sync_cursor
  TO wastetag_site, wastetag_central;
GRANT SELECT ON ingest.stage_template TO wastetag_site, wastetag_admin;
GRANT EXECUTE ON FUNCTION ingest.current_site (), ingest.concerns (text), ingest.is_admin (),
  ingest.register_device (uuid, bytea, text), ingest.claim_cursor (uuid, bigint, bytea, bigint),
  ingest.apply_stage (uuid), ingest.feed_horizon (), ingest.feed_for_site (uuid, xid8, bigint, integer),
  ingest.device_keys (uuid[]), ingest.anomalies_for_site (bigint), ingest.sync_done (uuid),
  ingest.event_hash (bytea, uuid, uuid, bigint, text, text, text, text, bigint, bigint, text),
  ingest.now_ms ()
  TO wastetag_site, wastetag_admin;
GRANT EXECUTE ON FUNCTION ingest.current_site (), ingest.concerns (text), ingest.is_admin (),
  ingest.now_ms () TO wastetag_central;

RESET ROLE;
