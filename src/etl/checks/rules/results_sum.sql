-- results_sum: for every column, (七)总计 = the sum of the result rows (予以公开 … 其他处理) the
-- report prints.  Rows the report does not print (state 'absent', e.g. the 2021-only 其他处理
-- sub-rows on an old form) do not participate; a blank/dash/unknown one makes it not assessable.
WITH cells AS NOT MATERIALIZED (
    SELECT a.report_id, a.applicant, a.row_key, a.value, a.state, t.is_result, t.ord
    FROM applications a JOIN loaded_reports USING (report_id)
    JOIN template_section3_rows t USING (row_key)
    WHERE a.state <> 'absent' AND (t.is_result OR a.row_key = 'total')
), cols AS (
    SELECT report_id, applicant,
        max(value) FILTER (row_key = 'total') AS tt, max(state) FILTER (row_key = 'total') AS tt_s,
        sum(value) FILTER (is_result) AS s,
        count(*) FILTER (is_result) AS n, count(value) FILTER (is_result) AS n_known
    FROM cells GROUP BY report_id, applicant
), judged AS (
    SELECT *, CASE WHEN tt IS NULL OR n = 0 OR n_known < n THEN 'not_assessable'
                   WHEN tt = s THEN 'passed' ELSE 'failed' END AS status
    FROM cols
), texts AS (
    -- the result rows' texts, built only for the columns that need them (failed, or not all
    -- numbers)
    SELECT report_id, applicant,
        string_agg(row_key || '=' || value, ' + ' ORDER BY ord) FILTER (is_result AND value <> 0) AS nonzero,
        string_agg(row_key || '=' || state, ', ' ORDER BY ord) FILTER (is_result AND value IS NULL) AS missing
    FROM cells SEMI JOIN (SELECT report_id, applicant FROM judged
                          WHERE status = 'failed' OR n_known < n) USING (report_id, applicant)
    GROUP BY report_id, applicant
)
SELECT report_id, 'results_sum' AS rule,
    CASE WHEN status = 'failed' THEN
        format('total.{}={}; result rows: {}', applicant, cv(tt, tt_s),
               coalesce(nonzero, 'all 0') || coalesce(' (not numbers: ' || missing || ')', '')) END AS cells,
    CASE WHEN status = 'failed' THEN
        format('total.{0} = sum of the {1} result rows of column {0}', applicant, n) END AS formula,
    s AS expected, tt AS actual, tt - s AS delta,
    status,
    CASE WHEN tt IS NULL THEN format('column {}: 总计 is {}', applicant, tt_s)
         WHEN n = 0 THEN format('column {}: no result rows', applicant)
         WHEN n_known < n THEN format('column {}: result rows not numbers: {}', applicant, missing) END AS reason,
    CASE WHEN status = 'failed' THEN
        format('column {}: (七)总计 {} but the result rows sum to {} (delta {})', applicant, tt, s, tt - s) END AS message
FROM judged LEFT JOIN texts USING (report_id, applicant)
