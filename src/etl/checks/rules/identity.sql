-- identity: for every column c of table 三, new_received + carried_over = total + carried_forward
-- (the table's own 勾稽关系 note).  A blank/dash/unknown participant makes the column not assessable.
WITH cells AS (
    SELECT a.report_id, a.applicant, a.row_key, a.value, a.state
    FROM applications a JOIN loaded_reports USING (report_id)
    WHERE a.row_key IN ('new_received', 'carried_over', 'total', 'carried_forward')
), cols AS (
    SELECT report_id, applicant,
        max(value) FILTER (row_key = 'new_received')    AS nr, max(state) FILTER (row_key = 'new_received')    AS nr_s,
        max(value) FILTER (row_key = 'carried_over')    AS co, max(state) FILTER (row_key = 'carried_over')    AS co_s,
        max(value) FILTER (row_key = 'total')           AS tt, max(state) FILTER (row_key = 'total')           AS tt_s,
        max(value) FILTER (row_key = 'carried_forward') AS cf, max(state) FILTER (row_key = 'carried_forward') AS cf_s
    FROM cells GROUP BY report_id, applicant
), judged AS (
    SELECT *, CASE WHEN nr IS NULL OR co IS NULL OR tt IS NULL OR cf IS NULL THEN 'not_assessable'
                   WHEN nr + co = tt + cf THEN 'passed' ELSE 'failed' END AS status
    FROM cols
)
SELECT report_id, 'identity' AS rule,
    CASE WHEN status = 'failed' THEN
        format('new_received.{0}={1}; carried_over.{0}={2}; total.{0}={3}; carried_forward.{0}={4}',
               applicant, cv(nr, nr_s), cv(co, co_s), cv(tt, tt_s), cv(cf, cf_s)) END AS cells,
    CASE WHEN status = 'failed' THEN
        format('new_received.{0} + carried_over.{0} = total.{0} + carried_forward.{0}', applicant) END AS formula,
    nr + co AS expected, tt + cf AS actual, (tt + cf) - (nr + co) AS delta,
    status,
    CASE WHEN status = 'not_assessable' THEN format('column {}: a participant is not a number', applicant) END AS reason,
    CASE WHEN status = 'failed' THEN
        format('column {}: 本年新收 {} + 上年结转 {} = {}, but 办理结果总计 {} + 结转下年度 {} = {} (delta {})',
               applicant, nr, co, nr + co, tt, cf, tt + cf, (tt + cf) - (nr + co)) END AS message
FROM judged
