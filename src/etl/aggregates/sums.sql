-- Aggregates by year x region x agency level, and all-agency totals: the sums the final query
-- (aggregates.sql beside this file) adds up.  Metric definitions: metrics.md beside this file.
-- Only loaded reports count (quarantined and superseded copies never do).
-- A blank cell adds nothing to a sum (blank means "none" in these reports); n_reports counts
-- the reports that printed a number, so a reader can see how much a total rests on.

-- Each report's figures, summed per printed region and level: each ancestor region then adds up
-- these sums, not every report's values again (the values are whole numbers: the same totals).
CREATE OR REPLACE TEMP TABLE aggregate_printed AS
WITH loaded AS (
    SELECT report_id, year, coalesce(region_path, '(unknown)') AS region_path,
           coalesce(level, '(unknown)') AS level
    FROM reports WHERE status = 'loaded'
), s3 AS (
    -- one value per report x row: the printed 总计, else the sum of the applicant columns that
    -- print a number (some reports leave the 总计 column blank; a blank adds nothing)
    SELECT a.report_id, a.row_key,
        coalesce(max(a.value) FILTER (a.applicant = 'total'),
                 sum(a.value) FILTER (c.is_applicant)) AS value
    FROM applications a JOIN template_section3_columns c ON c.column_key = a.applicant
    WHERE a.status = 'loaded' AND a.state <> 'absent'
    GROUP BY a.report_id, a.row_key
), groups(result_group, name) AS (
    VALUES ('(一)', 'granted'), ('(二)', 'partial'), ('(三)', 'denied'), ('(四)', 'unable'),
           ('(五)', 'rejected'), ('(六)', 'other')
), per_report AS (
    SELECT report_id, 'reports' AS metric, 1::DOUBLE AS value FROM loaded
    UNION ALL
    SELECT report_id, 'applications.new_received.' || applicant, value
    FROM applications WHERE status = 'loaded' AND row_key = 'new_received' AND state <> 'absent'
    UNION ALL
    SELECT report_id, 'applications.' || row_key, value
    FROM s3 WHERE row_key IN ('carried_over', 'carried_forward', 'total')
    UNION ALL
    SELECT s3.report_id, 'outcome.' || s3.row_key, s3.value
    FROM s3 JOIN template_section3_rows t USING (row_key) WHERE t.is_result
    UNION ALL
    SELECT s3.report_id, 'outcome_group.' || g.name, sum(s3.value)
    FROM s3 JOIN template_section3_rows t USING (row_key) JOIN groups g USING (result_group)
    WHERE t.is_result GROUP BY s3.report_id, g.name
    UNION ALL
    SELECT report_id, 'review_litigation.' || key, value
    FROM review_litigation WHERE status = 'loaded' AND state <> 'absent'
    UNION ALL
    SELECT v.report_id, 'reports_failing.' || v.rule, 1
    FROM validation_results v JOIN loaded USING (report_id) WHERE v.status = 'failed'
), base AS (
    SELECT l.year, l.region_path, l.level, p.metric, p.value
    FROM per_report p JOIN loaded l USING (report_id)
)
SELECT year, region_path, level, metric, sum(value) AS value, count(value) AS n_reports
FROM base GROUP BY year, region_path, level, metric;

-- Every ancestor region of a printed one: 江苏省, 江苏省/淮安市, 江苏省/淮安市/洪泽区.
CREATE OR REPLACE TEMP TABLE aggregate_ancestors AS
SELECT p.region_path, array_to_string(list_slice(string_split(p.region_path, '/'), 1, i), '/') AS region
FROM (SELECT DISTINCT region_path FROM aggregate_printed) p,
    range(1, len(string_split(p.region_path, '/')) + 1) t(i);

-- The rates, per region (or '(all)') and level (or '(all)'), from the sums they divide.
CREATE OR REPLACE TEMP TABLE aggregate_rates AS
WITH printed_wide AS (
    SELECT year, region_path, level,
        max(value) FILTER (metric = 'applications.total') AS handled,
        max(value) FILTER (metric = 'outcome_group.granted') AS granted,
        max(value) FILTER (metric = 'outcome_group.partial') AS partial,
        max(value) FILTER (metric = 'outcome_group.denied') AS denied,
        max(value) FILTER (metric = 'outcome_group.unable') AS unable,
        max(value) FILTER (metric = 'outcome_group.rejected') AS rejected,
        max(value) FILTER (metric = 'outcome_group.other') AS other,
        max(value) FILTER (metric = 'review_litigation.review_corrected') AS rc,
        max(value) FILTER (metric = 'review_litigation.review_total') AS rt,
        max(value) FILTER (metric = 'review_litigation.review_pending') AS rp,
        max(value) FILTER (metric = 'review_litigation.suit_direct_corrected') AS dc,
        max(value) FILTER (metric = 'review_litigation.suit_direct_total') AS dt,
        max(value) FILTER (metric = 'review_litigation.suit_direct_pending') AS dp,
        max(value) FILTER (metric = 'review_litigation.suit_after_review_corrected') AS ac,
        max(value) FILTER (metric = 'review_litigation.suit_after_review_total') AS sat,
        max(value) FILTER (metric = 'review_litigation.suit_after_review_pending') AS ap,
        max(n_reports) FILTER (metric = 'reports') AS n
    FROM aggregate_printed GROUP BY year, region_path, level
), wide_sets AS (
    SELECT year, coalesce(region, '(all)') AS region_path, coalesce(level, '(all)') AS level,
        sum(handled) AS handled, sum(granted) AS granted, sum(partial) AS partial, sum(denied) AS denied, sum(unable) AS unable, sum(rejected) AS rejected, sum(other) AS other, sum(rc) AS rc, sum(rt) AS rt, sum(rp) AS rp, sum(dc) AS dc, sum(dt) AS dt, sum(dp) AS dp, sum(ac) AS ac, sum(sat) AS sat, sum(ap) AS ap, sum(n) AS n
    FROM printed_wide JOIN aggregate_ancestors USING (region_path)
    GROUP BY GROUPING SETS ((year, region, level), (year, region))
    UNION ALL
    SELECT year, '(all)', coalesce(level, '(all)'), sum(handled) AS handled, sum(granted) AS granted, sum(partial) AS partial, sum(denied) AS denied, sum(unable) AS unable, sum(rejected) AS rejected, sum(other) AS other, sum(rc) AS rc, sum(rt) AS rt, sum(rp) AS rp, sum(dc) AS dc, sum(dt) AS dt, sum(dp) AS dp, sum(ac) AS ac, sum(sat) AS sat, sum(ap) AS ap, sum(n) AS n
    FROM printed_wide GROUP BY GROUPING SETS ((year, level), (year))
), wide AS (
    -- one row per region and level as the sums have them (a printed level '(all)' meets the
    -- all-levels row there)
    SELECT year, region_path, level, max(handled) AS handled, max(granted) AS granted, max(partial) AS partial, max(denied) AS denied, max(unable) AS unable, max(rejected) AS rejected, max(other) AS other, max(rc) AS rc, max(rt) AS rt, max(rp) AS rp, max(dc) AS dc, max(dt) AS dt, max(dp) AS dp, max(ac) AS ac, max(sat) AS sat, max(ap) AS ap, max(n)::BIGINT AS n
    FROM wide_sets GROUP BY year, region_path, level
), rates AS (
    SELECT year, region_path, level, metric, value, n AS n_reports FROM wide,
    LATERAL (VALUES
        ('rate.granted', granted / nullif(handled, 0)),
        ('rate.granted_or_partial', (granted + partial) / nullif(handled, 0)),
        ('rate.denied', denied / nullif(handled, 0)),
        ('rate.unable', unable / nullif(handled, 0)),
        ('rate.rejected', rejected / nullif(handled, 0)),
        ('rate.other', other / nullif(handled, 0)),
        ('rate.correction.review', rc / nullif(rt - rp, 0)),
        ('rate.correction.suit_direct', dc / nullif(dt - dp, 0)),
        ('rate.correction.suit_after_review', ac / nullif(sat - ap, 0))
    ) v(metric, value)
)
SELECT year, region_path, level, metric, value, n_reports FROM rates WHERE value IS NOT NULL;

-- Every name a row can carry, with its rank in the file's order (region_path, level, metric):
-- the millions of rows are summed and sorted by these whole numbers, not by their names.
CREATE OR REPLACE TEMP TABLE aggregate_names AS
SELECT kind, name, row_number() OVER (PARTITION BY kind ORDER BY name) - 1 AS rk
FROM (SELECT 'region' AS kind, region AS name FROM aggregate_ancestors
      UNION SELECT 'region', '(all)'
      UNION SELECT 'level', level FROM aggregate_printed
      UNION SELECT 'level', '(all)'
      UNION SELECT 'metric', metric FROM aggregate_printed
      UNION SELECT 'metric', metric FROM aggregate_rates);
