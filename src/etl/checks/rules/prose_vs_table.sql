-- prose_vs_table: figures the prose states agree with the tables.  Only figures the parser
-- extracted; fees and 主动公开 counts have no table cell and are not checked.
--   applications_received = new_received.total  (or new_received + carried_over: 受理 sometimes counts both)
--   applications_handled  = total.total
--   carried_forward       = carried_forward.total
--   review_total          = review_total
--   suit_total            = suit_direct_total + suit_after_review_total
--   review_suit_total     = review_total + suit_direct_total + suit_after_review_total (复议诉讼案件 N 件)
--   normative_in_force    = section 二 normative_documents.in_force
WITH t3 AS (
    SELECT report_id,
        max(value) FILTER (row_key = 'new_received')    AS nr,
        max(value) FILTER (row_key = 'carried_over')    AS co,
        max(value) FILTER (row_key = 'total')           AS tt,
        max(value) FILTER (row_key = 'carried_forward') AS cf
    FROM applications WHERE applicant = 'total' GROUP BY report_id
), t4 AS (
    SELECT report_id,
        max(value) FILTER (key = 'review_total')            AS rv,
        max(value) FILTER (key = 'suit_direct_total')       AS sd,
        max(value) FILTER (key = 'suit_after_review_total') AS sa
    FROM review_litigation GROUP BY report_id
), t2 AS (
    SELECT report_id, (max(value) FILTER (category = 'normative_documents' AND metric = 'in_force'))::BIGINT AS inf
    FROM active_disclosure GROUP BY report_id
), figures AS (
    SELECT p.report_id, p.key, p.value::BIGINT AS said, p.text, p.source,
        CASE p.key
            WHEN 'applications_received' THEN
                CASE WHEN p.value = t3.nr + t3.co AND p.value <> t3.nr THEN t3.nr + t3.co ELSE t3.nr END
            WHEN 'applications_handled' THEN t3.tt
            WHEN 'carried_forward'      THEN t3.cf
            WHEN 'review_total'         THEN t4.rv
            WHEN 'suit_total'           THEN t4.sd + t4.sa
            WHEN 'review_suit_total'    THEN t4.rv + t4.sd + t4.sa
            WHEN 'normative_in_force'   THEN t2.inf
        END AS table_value,
        CASE p.key
            WHEN 'applications_received' THEN
                CASE WHEN p.value = t3.nr + t3.co AND p.value <> t3.nr
                     THEN 'new_received.total + carried_over.total' ELSE 'new_received.total' END
            WHEN 'applications_handled' THEN 'total.total'
            WHEN 'carried_forward'      THEN 'carried_forward.total'
            WHEN 'review_total'         THEN 'review_total'
            WHEN 'suit_total'           THEN 'suit_direct_total + suit_after_review_total'
            WHEN 'review_suit_total'    THEN 'review_total + suit_direct_total + suit_after_review_total'
            WHEN 'normative_in_force'   THEN 'section2 normative_documents.in_force'
        END AS cell_expr
    FROM prose_figures p JOIN loaded_reports USING (report_id)
    LEFT JOIN t3 USING (report_id) LEFT JOIN t4 USING (report_id) LEFT JOIN t2 USING (report_id)
    WHERE p.key IN ('applications_received', 'applications_handled', 'carried_forward',
                    'review_total', 'suit_total', 'review_suit_total', 'normative_in_force')
)
SELECT report_id, 'prose_vs_table' AS rule,
    format('prose {}={} ("{}", {}); table {}={}', key, said, text, coalesce(source, ''),
           cell_expr, coalesce(table_value::VARCHAR, 'not a number')) AS cells,
    format('prose {} = {}', key, cell_expr) AS formula,
    table_value AS expected, said AS actual, said - table_value AS delta,
    CASE WHEN table_value IS NULL THEN 'not_assessable'
         WHEN said = table_value THEN 'passed' ELSE 'failed' END AS status,
    CASE WHEN table_value IS NULL THEN format('{}: table cell {} is not a number', key, cell_expr) END AS reason,
    format('the prose says {} ("{}") but the table gives {} = {} (delta {})',
           said, text, cell_expr, table_value, said - table_value) AS message
FROM figures
