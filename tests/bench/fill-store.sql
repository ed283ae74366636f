-- Fills an evidence store (created by egresswatchd, so it has the real schema)
-- with synthetic flows for the query-latency benchmark. Parameters, set
-- with the sqlite3 shell's .parameter command before this file is read:
--   :rows   number of flows
--   :t0_us  start of the 30 days the flows are spread over (microseconds, UTC)
-- Deterministic: every value is a function of the row number i.
--   3000 devices 10.20-22.x.y; one flow in 5 is DNS/UDP, the rest TLS/TCP;
--   remote ends in six networks of tests/tools/test-geo.spec (two in CN);
--   every flow to CN is a high alert.
PRAGMA journal_mode = OFF;
PRAGMA synchronous = OFF;
PRAGMA cache_size = -262144;

BEGIN;
DELETE FROM alerts;
DELETE FROM flows;
DELETE FROM devices;

WITH RECURSIVE
  n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < :rows),
  r AS (
    SELECT i,
           (i * 2654435761) % 3000 AS d,
           i / 3000 % 6 AS net,       -- a device's flows go to every network in turn
           i / 3000 % 5 = 0 AS dns,
           :t0_us + i * (2592000000000 / :rows) AS t
    FROM n)
INSERT INTO flows (flow_uid, first_seen, last_seen, vlan, inner_vlan, ip_version, transport, ip_proto,
                   device_ip, device_port, device_mac, remote_ip, remote_port, initiator,
                   bytes_out, bytes_in, packets_out, packets_in, app_protocol, app_category, domain,
                   remote_local, country, asn, as_org, state, community_id)
SELECT printf('bench-%09d', i), t, t + (i * 7919 % 600) * 1000000, 20, NULL, 4,
       CASE WHEN dns THEN 'udp' ELSE 'tcp' END, CASE WHEN dns THEN 17 ELSE 6 END,
       printf('10.%d.%d.%d', 20 + d / 1000, d % 1000 / 250, d % 250 + 1), 32768 + i % 28000,
       printf('44:19:b6:%02x:%02x:%02x', d / 65536, d / 256 % 256, d % 256),
       CASE net WHEN 0 THEN printf('47.96.%d.%d', i % 256, i / 256 % 254 + 1)
                WHEN 1 THEN printf('18.130.%d.%d', i % 256, i / 256 % 254 + 1)
                WHEN 2 THEN printf('81.2.69.%d', i % 254 + 1)
                WHEN 3 THEN printf('203.0.113.%d', i % 254 + 1)
                WHEN 4 THEN printf('198.51.100.%d', i % 254 + 1)
                ELSE printf('116.211.%d.%d', i % 256, i / 256 % 254 + 1) END,
       CASE WHEN dns THEN 53 ELSE 443 END, 'device',
       200 + i % 50000, 500 + i * 31 % 900000, 2 + i % 40, 2 + i * 7 % 700,
       CASE WHEN dns THEN 'DNS' ELSE 'TLS' END, CASE WHEN dns THEN 'Network' ELSE 'Web' END,
       printf('api.site%d.com', i % 400), 0,
       CASE net WHEN 0 THEN 'CN' WHEN 1 THEN 'GB' WHEN 2 THEN 'GB' WHEN 3 THEN 'FR' WHEN 4 THEN 'US' ELSE 'CN' END,
       CASE net WHEN 0 THEN 37963 WHEN 1 THEN 16509 WHEN 2 THEN 20712 WHEN 3 THEN 64500 WHEN 4 THEN NULL ELSE 4134 END,
       CASE net WHEN 0 THEN 'Hangzhou Alibaba Advertising Co.,Ltd.' WHEN 1 THEN 'AMAZON-02'
                WHEN 2 THEN 'Andrews & Arnold Ltd' WHEN 3 THEN 'Example Transit SAS' WHEN 4 THEN NULL
                ELSE 'Chinanet' END,
       'closed', printf('1:bench%09d', i)
FROM r;

INSERT INTO alerts (flow_id, severity, reasons)
SELECT id, 'high', '["country:' || country || '"]' FROM flows WHERE country = 'CN';

WITH RECURSIVE n(d) AS (SELECT 0 UNION ALL SELECT d + 1 FROM n WHERE d + 1 < 3000)
INSERT INTO devices (ip, mac, vendor, vendor_country, kind, identified_by, first_seen, last_seen)
SELECT printf('10.%d.%d.%d', 20 + d / 1000, d % 1000 / 250, d % 250 + 1),
       printf('44:19:b6:%02x:%02x:%02x', d / 65536, d / 256 % 256, d % 256),
       'Hangzhou Hikvision Digital Technology Co.,Ltd.', 'CN', 'camera',
       '["oui:Hangzhou Hikvision Digital Technology Co.,Ltd. (CN)"]',
       :t0_us, :t0_us + 2592000000000
FROM n;
COMMIT;
