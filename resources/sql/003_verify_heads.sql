-- 003_verify_heads.sql: segments authenticated by their signed head (issue #5).
-- SPDX-License-Identifier: GPL-3.0-or-later
--
-- Applied by `wastetag-cli central init` after 002, in the same transaction
-- as its row in ingest.schema_version; init never applies it twice.
--
-- apply_stage() (002) is the only path into ingest.event: it recomputes every
-- row's hash with event_hash() (which covers prev_hash, the device and the
-- sequence), checks every link inside the batch and the batch's first link
-- onto the cursor's last_hash, and event_append_only keeps the rows as they
-- were checked. So a device's stored rows form one hash chain, and one valid
-- Ed25519 signature on its newest row authenticates every row before it.
-- The verifier (wt_central_verify_full) checks that head first and records
-- it as authenticated_seq; its per-event sweep still checks every row's own
-- signature afterwards and keeps verified_seq (a signature corrupted in the
-- middle of a chain whose hashes are intact is found only by the sweep).
-- Invariant: verified_seq <= authenticated_seq <= sync_cursor.last_seq.

SET LOCAL ROLE wastetag_owner;

ALTER TABLE ingest.verify_state
  ADD COLUMN authenticated_seq bigint NOT NULL DEFAULT 0,
  ADD COLUMN authenticated_at  timestamptz;
UPDATE ingest.verify_state SET authenticated_seq = verified_seq, authenticated_at = verified_at;

-- What the central store shows per device: rows stored, rows authenticated
-- by a signed head, rows whose own signature the sweep has checked. A row
-- with device_seq <= swept_seq is 'swept'; <= authenticated_seq
-- 'authenticated' (its content is the device's, its own signature bytes are
-- not checked yet); above that 'unverified'.
CREATE VIEW ingest.verification AS
  SELECT d.device_id, d.site_id, d.blocked, d.blocked_reason,
         coalesce (c.last_seq, 0) AS stored_seq,
         coalesce (v.authenticated_seq, 0) AS authenticated_seq,
         coalesce (v.verified_seq, 0) AS swept_seq,
         coalesce (c.last_seq, 0) - coalesce (v.authenticated_seq, 0) AS unverified,
         coalesce (v.authenticated_seq, 0) - coalesce (v.verified_seq, 0) AS authenticated_not_swept,
         v.authenticated_at, v.verified_at AS swept_at
    FROM ingest.device d
    LEFT JOIN ingest.sync_cursor c USING (device_id)
    LEFT JOIN ingest.verify_state v USING (device_id);

REVOKE ALL ON ingest.verification FROM PUBLIC;
GRANT SELECT ON ingest.verification TO wastetag_central, wastetag_admin;

RESET ROLE;
