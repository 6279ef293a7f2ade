-- in_force_chain (warning): for one agency and each section 二 category with an in_force metric,
-- in_force(t) = in_force(t-1) + issued(t) - repealed(t).  Agencies re-count after clean-ups, so
-- this is a warning.  Matched like carry_chain; attributed to the report of year t.
WITH cats AS (
    SELECT DISTINCT category FROM template_section2 WHERE metric = 'in_force'
), pairs AS (
    SELECT cur.report_id, cur.year, cur.agency_key, prev.report_id AS prev_id
    FROM loaded_reports cur
    LEFT JOIN loaded_reports prev ON prev.agency_key = cur.agency_key AND prev.year = cur.year - 1
), v AS (
    SELECT report_id, category,
        max(value) FILTER (metric = 'in_force') AS inf, max(state) FILTER (metric = 'in_force') AS inf_s,
        max(value) FILTER (metric = 'issued')   AS iss, max(state) FILTER (metric = 'issued')   AS iss_s,
        max(value) FILTER (metric = 'repealed') AS rep, max(state) FILTER (metric = 'repealed') AS rep_s
    FROM active_disclosure GROUP BY report_id, category
), cells AS (
    SELECT p.report_id, p.year, c.category,
        cur.inf::BIGINT AS inf, cur.inf_s, cur.iss::BIGINT AS iss, cur.iss_s, cur.rep::BIGINT AS rep,
        cur.rep_s, prev.inf::BIGINT AS pinf, prev.inf_s AS pinf_s
    FROM pairs p CROSS JOIN cats c
    LEFT JOIN v cur  ON cur.report_id = p.report_id AND cur.category = c.category
    LEFT JOIN v prev ON prev.report_id = p.prev_id AND prev.category = c.category
    WHERE p.prev_id IS NOT NULL
), judged AS (
    SELECT *, CASE WHEN inf IS NULL OR pinf IS NULL OR iss IS NULL OR rep IS NULL THEN 'not_assessable'
                   WHEN inf = pinf + iss - rep THEN 'passed' ELSE 'failed' END AS status
    FROM cells
)
SELECT report_id, 'in_force_chain' AS rule,
    CASE WHEN status = 'failed' THEN
        format('{0}.in_force({1})={2}; {0}.in_force({3})={4}; {0}.issued({1})={5}; {0}.repealed({1})={6}',
               category, year, cv(inf, coalesce(inf_s, 'missing')), year - 1, cv(pinf, coalesce(pinf_s, 'missing')),
               cv(iss, coalesce(iss_s, 'missing')), cv(rep, coalesce(rep_s, 'missing'))) END AS cells,
    CASE WHEN status = 'failed' THEN
        format('{0}.in_force(t) = {0}.in_force(t-1) + {0}.issued(t) - {0}.repealed(t)', category) END AS formula,
    pinf + iss - rep AS expected, inf AS actual, inf - (pinf + iss - rep) AS delta,
    status,
    CASE WHEN status = 'not_assessable'
         THEN format('{}: a participant is not a number (or not in this template)', category) END AS reason,
    CASE WHEN status = 'failed' THEN
        format('{}: 现行有效 {} in {}, but {} ({}) + 制发 {} - 废止 {} = {} (delta {})',
               category, inf, year, pinf, year - 1, iss, rep, pinf + iss - rep, inf - (pinf + iss - rep)) END AS message
FROM judged
UNION ALL
SELECT report_id, 'in_force_chain', NULL, NULL, NULL, NULL, NULL, 'not_assessable',
    CASE WHEN agency_key IS NULL THEN 'agency not identified across years'
         ELSE format('no loaded report of this agency for {}', year - 1) END, NULL
FROM pairs WHERE prev_id IS NULL
