-- duplicate_report: the same agency-year published more than once.  The copy kept is the latest
-- `published` (manifest), else the last by source_file; every other copy is 'superseded' and
-- fails this rule (the kept one passes).
SELECT report_id, 'duplicate_report' AS rule,
    format('source_file={}; published={}', source_file, coalesce(published::VARCHAR, 'unknown')) AS cells,
    'one report per agency and year' AS formula,
    NULL::BIGINT AS expected, NULL::BIGINT AS actual, NULL::BIGINT AS delta,
    CASE WHEN status = 'superseded' THEN 'failed' ELSE 'passed' END AS status,
    NULL AS reason,
    format('{} {}: {} ({})', agency, year, coalesce(error_detail, 'superseded by another copy'), source_file) AS message
FROM reports
WHERE status IN ('loaded', 'superseded')
