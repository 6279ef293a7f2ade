-- carry_chain: for one agency, carried_over of year t = carried_forward of year t-1, per column.
-- Agencies are matched by agency_key (the manifest's agency_id, else the normalized name); a
-- report whose agency is unknown, or with no report of year t-1, is not assessable.  The issue
-- is attributed to the report of the later year t.
WITH pairs AS (
    SELECT cur.report_id, cur.year, cur.agency_key, prev.report_id AS prev_id
    FROM loaded_reports cur
    LEFT JOIN loaded_reports prev ON prev.agency_key = cur.agency_key AND prev.year = cur.year - 1
), chain AS MATERIALIZED (
    -- the two rows compared, read once for both sides
    SELECT report_id, row_key, applicant, value, state FROM applications
    WHERE row_key IN ('carried_over', 'carried_forward')
), cells AS (
    SELECT p.report_id, p.year, c.column_key AS applicant, c.ord,
        co.value AS co, co.state AS co_s, cf.value AS cf, cf.state AS cf_s
    FROM pairs p CROSS JOIN template_section3_columns c
    LEFT JOIN chain co ON co.report_id = p.report_id AND co.row_key = 'carried_over' AND co.applicant = c.column_key
    LEFT JOIN chain cf ON cf.report_id = p.prev_id AND cf.row_key = 'carried_forward' AND cf.applicant = c.column_key
    WHERE p.prev_id IS NOT NULL
), judged AS (
    SELECT *, CASE WHEN co IS NULL OR cf IS NULL THEN 'not_assessable'
                   WHEN co = cf THEN 'passed' ELSE 'failed' END AS status
    FROM cells
)
SELECT report_id, 'carry_chain' AS rule,
    CASE WHEN status = 'failed' THEN
        format('carried_over.{0}({1})={2}; carried_forward.{0}({3})={4}', applicant, year,
               cv(co, coalesce(co_s, 'missing')), year - 1, cv(cf, coalesce(cf_s, 'missing'))) END AS cells,
    CASE WHEN status = 'failed' THEN format('carried_over.{0}(t) = carried_forward.{0}(t-1)', applicant) END AS formula,
    cf AS expected, co AS actual, co - cf AS delta,
    status,
    CASE WHEN status = 'not_assessable' THEN format('column {}: a participant is not a number', applicant) END AS reason,
    CASE WHEN status = 'failed' THEN
        format('column {}: 上年结转 {} in {} but 结转下年度 {} in the {} report (delta {})',
               applicant, co, year, cf, year - 1, co - cf) END AS message
FROM judged
UNION ALL
SELECT report_id, 'carry_chain', NULL, NULL, NULL, NULL, NULL, 'not_assessable',
    CASE WHEN agency_key IS NULL THEN 'agency not identified across years'
         ELSE format('no loaded report of this agency for {}', year - 1) END, NULL
FROM pairs WHERE prev_id IS NULL
