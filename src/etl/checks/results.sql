-- validation_results: one row per report x rule (loaded reports: every rule except
-- duplicate_report; superseded copies: duplicate_report only).
WITH subjects AS (
    SELECT r.report_id, coalesce(r.year, 0) AS year, ru.rule, ru.severity
    FROM reports r CROSS JOIN rules_run ru
    WHERE (r.status = 'loaded') OR (r.status = 'superseded' AND ru.rule = 'duplicate_report')
), counted AS (
    SELECT report_id, rule,
        count(*) AS n_checks,
        count(*) FILTER (status = 'passed') AS n_passed,
        count(*) FILTER (status = 'failed') AS n_failed,
        count(*) FILTER (status = 'not_assessable') AS n_not_assessable
    FROM check_instances GROUP BY report_id, rule
), reasons AS (
    -- the texts, from the few instances that have one (not the passed majority)
    SELECT report_id, rule, string_agg(DISTINCT reason, '; ' ORDER BY reason) AS na_reasons
    FROM check_instances WHERE status = 'not_assessable' GROUP BY report_id, rule
), failures AS (
    SELECT report_id, rule, string_agg(message, '; ' ORDER BY message) AS failures
    FROM check_instances WHERE status = 'failed' GROUP BY report_id, rule
)
SELECT s.report_id, s.year, s.rule, s.severity,
    CASE WHEN coalesce(c.n_failed, 0) > 0 THEN 'failed'
         WHEN coalesce(c.n_not_assessable, 0) > 0 OR coalesce(c.n_checks, 0) = 0 THEN 'not_assessable'
         ELSE 'passed' END AS status,
    CASE WHEN coalesce(c.n_failed, 0) > 0 THEN f.failures
         WHEN coalesce(c.n_checks, 0) = 0 THEN 'nothing to check (no participating cells or figures)'
         WHEN c.n_not_assessable > 0 THEN r.na_reasons END AS reason,
    coalesce(c.n_checks, 0) AS n_checks, coalesce(c.n_passed, 0) AS n_passed,
    coalesce(c.n_failed, 0) AS n_failed, coalesce(c.n_not_assessable, 0) AS n_not_assessable
FROM subjects s LEFT JOIN counted c USING (report_id, rule)
LEFT JOIN reasons r USING (report_id, rule) LEFT JOIN failures f USING (report_id, rule)
