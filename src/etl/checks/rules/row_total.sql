-- row_total: for every row of table 三, the 总计 column = the sum of the six applicant columns.
WITH cells AS NOT MATERIALIZED (
    SELECT a.report_id, a.row_key, a.applicant, a.value, a.state, c.is_applicant, c.ord
    FROM applications a JOIN loaded_reports USING (report_id)
    JOIN template_section3_columns c ON c.column_key = a.applicant
    WHERE a.state <> 'absent'
), rows AS (
    SELECT report_id, row_key,
        max(value) FILTER (NOT is_applicant) AS tt, max(state) FILTER (NOT is_applicant) AS tt_s,
        sum(value) FILTER (is_applicant) AS s,
        count(*) FILTER (is_applicant) AS n, count(value) FILTER (is_applicant) AS n_known
    FROM cells GROUP BY report_id, row_key
), judged AS (
    SELECT *, CASE WHEN tt IS NULL OR n = 0 OR n_known < n THEN 'not_assessable'
                   WHEN tt = s THEN 'passed' ELSE 'failed' END AS status
    FROM rows
), texts AS (
    -- the cells' texts, built only for the rows that need them (failed, or not all numbers)
    SELECT report_id, row_key,
        string_agg(applicant || '=' || cv(value, state), '; ' ORDER BY ord) FILTER (is_applicant) AS parts,
        string_agg(applicant || '=' || state, ', ' ORDER BY ord) FILTER (is_applicant AND value IS NULL) AS missing
    FROM cells SEMI JOIN (SELECT report_id, row_key FROM judged
                          WHERE status = 'failed' OR n_known < n) USING (report_id, row_key)
    GROUP BY report_id, row_key
)
SELECT report_id, 'row_total' AS rule,
    CASE WHEN status = 'failed' THEN format('{0}.total={1}; {2}', row_key, cv(tt, tt_s), parts) END AS cells,
    CASE WHEN status = 'failed' THEN format('{0}.total = sum of the applicant columns of {0}', row_key) END AS formula,
    s AS expected, tt AS actual, tt - s AS delta,
    status,
    CASE WHEN tt IS NULL THEN format('row {}: 总计 is {}', row_key, coalesce(tt_s, 'missing'))
         WHEN n = 0 THEN format('row {}: no applicant columns', row_key)
         WHEN n_known < n THEN format('row {}: applicant cells not numbers: {}', row_key, missing) END AS reason,
    CASE WHEN status = 'failed' THEN format('row {}: 总计 {} but the applicant columns sum to {} (delta {})', row_key, tt, s, tt - s) END AS message
FROM judged LEFT JOIN texts USING (report_id, row_key)
