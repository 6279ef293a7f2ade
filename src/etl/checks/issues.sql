-- validation_issues: FAILURES ONLY, each naming the cells, the formula and the delta.
SELECT i.report_id, coalesce(r.year, 0) AS year, i.rule, ru.severity, i.cells, i.formula,
    i.expected::BIGINT AS expected, i.actual::BIGINT AS actual, i.delta::BIGINT AS delta, i.message
FROM check_instances i
JOIN rules ru USING (rule)
JOIN report_identity r USING (report_id)
WHERE i.status = 'failed'
