-- missing_section: a loaded report without a single printed cell of section 三 or of section 四.
WITH s3 AS (
    SELECT report_id, count(*) FILTER (state <> 'absent') AS n FROM applications GROUP BY report_id
), s4 AS (
    SELECT report_id, count(*) FILTER (state <> 'absent') AS n FROM review_litigation GROUP BY report_id
)
SELECT r.report_id, 'missing_section' AS rule,
    format('section 三: {} cells; section 四: {} cells', coalesce(s3.n, 0), coalesce(s4.n, 0)) AS cells,
    'section 三 and section 四 each print at least one cell' AS formula,
    NULL::BIGINT AS expected, NULL::BIGINT AS actual, NULL::BIGINT AS delta,
    CASE WHEN coalesce(s3.n, 0) = 0 OR coalesce(s4.n, 0) = 0 THEN 'failed' ELSE 'passed' END AS status,
    NULL AS reason,
    CASE WHEN coalesce(s3.n, 0) = 0 AND coalesce(s4.n, 0) = 0 THEN 'sections 三 and 四 are missing'
         WHEN coalesce(s3.n, 0) = 0 THEN 'section 三 (applications) is missing'
         ELSE 'section 四 (review and litigation) is missing' END AS message
FROM loaded_reports r LEFT JOIN s3 USING (report_id) LEFT JOIN s4 USING (report_id)
