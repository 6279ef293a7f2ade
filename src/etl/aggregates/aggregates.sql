-- Aggregates by year x region x agency level, and all-agency totals.  Long form: one row per
-- (year, region_path, level, metric).  Metric definitions: metrics.md beside this file.
-- Only loaded reports count (quarantined and superseded copies never do).
-- A blank cell adds nothing to a sum (blank means "none" in these reports); n_reports counts
-- the reports that printed a number, so a reader can see how much a total rests on.
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
), printed AS (
    -- summed per printed region and level first: each ancestor region then adds up these few
    -- sums, not every report's values again (the values are whole numbers: the same totals)
    SELECT year, region_path, level, metric, sum(value) AS value, count(value) AS n_reports
    FROM base GROUP BY year, region_path, level, metric
), ancestors AS (
    -- every ancestor region of a printed one: 江苏省, 江苏省/淮安市, 江苏省/淮安市/洪泽区
    SELECT p.region_path, array_to_string(list_slice(string_split(p.region_path, '/'), 1, i), '/') AS region
    FROM (SELECT DISTINCT region_path FROM printed) p,
        range(1, len(string_split(p.region_path, '/')) + 1) t(i)
), summed AS (
    SELECT year, coalesce(region, '(all)') AS region_path, coalesce(level, '(all)') AS level, metric,
           sum(value) AS value, sum(n_reports)::BIGINT AS n_reports
    FROM printed JOIN ancestors USING (region_path)
    GROUP BY GROUPING SETS ((year, region, level, metric), (year, region, metric))
    UNION ALL
    SELECT year, '(all)', coalesce(level, '(all)'), metric, sum(value), sum(n_reports)::BIGINT
    FROM printed GROUP BY GROUPING SETS ((year, level, metric), (year, metric))
), printed_wide AS (
    -- the sums the rates divide, per printed region and level (then added up like the sums)
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
    FROM printed GROUP BY year, region_path, level
), wide_sets AS (
    SELECT year, coalesce(region, '(all)') AS region_path, coalesce(level, '(all)') AS level,
        sum(handled), sum(granted), sum(partial), sum(denied), sum(unable), sum(rejected), sum(other), sum(rc), sum(rt), sum(rp), sum(dc), sum(dt), sum(dp), sum(ac), sum(sat), sum(ap), sum(n)
    FROM printed_wide JOIN ancestors USING (region_path)
    GROUP BY GROUPING SETS ((year, region, level), (year, region))
    UNION ALL
    SELECT year, '(all)', coalesce(level, '(all)'),
        sum(handled), sum(granted), sum(partial), sum(denied), sum(unable), sum(rejected), sum(other), sum(rc), sum(rt), sum(rp), sum(dc), sum(dt), sum(dp), sum(ac), sum(sat), sum(ap), sum(n)
    FROM printed_wide GROUP BY GROUPING SETS ((year, level), (year))
), wide AS (
    -- one row per region and level as `summed` has them (a printed level '(all)' meets the
    -- all-levels row there)
    SELECT year, region_path, level, max(s0) AS handled, max(s1) AS granted, max(s2) AS partial, max(s3) AS denied, max(s4) AS unable, max(s5) AS rejected, max(s6) AS other, max(s7) AS rc, max(s8) AS rt, max(s9) AS rp, max(s10) AS dc, max(s11) AS dt, max(s12) AS dp, max(s13) AS ac, max(s14) AS sat, max(s15) AS ap,
        max(s16)::BIGINT AS n
    FROM wide_sets w(year, region_path, level, s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, s10, s11, s12, s13, s14, s15, s16)
    GROUP BY year, region_path, level
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
SELECT year, region_path, level, metric, value, n_reports FROM summed
UNION ALL
SELECT year, region_path, level, metric, value, n_reports FROM rates WHERE value IS NOT NULL
