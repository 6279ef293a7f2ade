-- missing_section: a loaded report without a single printed cell of section 三 or of section 四.
WITH s3 AS (
    SELECT report_id, count(*) AS n FROM applications WHERE state <> 'absent' GROUP BY report_id
), s4 AS (
    SELECT report_id, count(*) AS n FROM review_litigation WHERE state <> 'absent' GROUP BY report_id
), judged AS (
    SELECT r.report_id, coalesce(s3.n, 0) AS n3, coalesce(s4.n, 0) AS n4,
        CASE WHEN coalesce(s3.n, 0) = 0 OR coalesce(s4.n, 0) = 0 THEN 'failed' ELSE 'passed' END AS status
    FROM loaded_reports r LEFT JOIN s3 USING (report_id) LEFT JOIN s4 USING (report_id)
)
SELECT report_id, 'missing_section' AS rule,
    CASE WHEN status = 'failed' THEN format('section 三: {} cells; section 四: {} cells', n3, n4) END AS cells,
    CASE WHEN status = 'failed' THEN 'section 三 and section 四 each print at least one cell' END AS formula,
    NULL::BIGINT AS expected, NULL::BIGINT AS actual, NULL::BIGINT AS delta,
    status,
    NULL AS reason,
    CASE WHEN n3 = 0 AND n4 = 0 THEN 'sections 三 and 四 are missing'
         WHEN n3 = 0 THEN 'section 三 (applications) is missing'
         WHEN n4 = 0 THEN 'section 四 (review and litigation) is missing' END AS message
FROM judged
