-- prose_vs_table: figures the prose states agree with the tables.  Only figures the parser
-- extracted; fees and 主动公开 counts have no table cell and are not checked.
--   applications_received = new_received.total  (or new_received + carried_over: 受理 sometimes counts both)
--   applications_handled  = total.total
--   carried_forward       = carried_forward.total
--   review_total          = review_total
--   suit_total            = suit_direct_total + suit_after_review_total
--   review_suit_total     = review_total + suit_direct_total + suit_after_review_total (复议诉讼案件 N 件)
--   normative_in_force    = section 二 normative_documents.in_force (issued, repealed likewise)
--   results_*             = the 总计 column summed over the result groups the figure names
--                           (予以公开 (一), 不予公开 (三), …; prose_result_groups, from etl.template)
-- A section 二 cell whose run-together digits were split using this very prose figure (its note
-- says "prose <key>=") cannot be checked against it: not assessable.
-- When the one table cell compared is 'unknown' because its digits ran together with its
-- neighbours' (crawler dumps: "77132470" for 制发|废止|现行有效), the check is not assessable —
-- unless NO split of the printed run gives the prose's figure at that cell's place: then the
-- prose disagrees with the table whatever the split (run_admits() = etl.parse.digits splits).
-- (A cell unknown because a row printed more or fewer values than it has columns — note
-- "N values for M …" — is no digit run: its raw text is separate values, never split.)
WITH unknown_runs AS (
    -- every cell read from a run of digits (state inferred or unknown) shares the run as its raw
    -- text; n and k count the run's cells and the cell's place among ALL of them (not only the
    -- unknown ones: a run whose first group was inferred still has its later cells at their place).
    -- Only reports with an unknown cell can have one in a run: the others are not windowed.
    SELECT * FROM (
        SELECT a.report_id, '3' AS section, a.row_key AS row, a.applicant AS col, a.raw, a.state,
            count(*) OVER w AS n, row_number() OVER (w ORDER BY c.ord) - 1 AS k
        FROM applications a JOIN template_section3_columns c ON c.column_key = a.applicant
        WHERE a.state IN ('inferred', 'unknown') AND coalesce(a.note, '') NOT LIKE '%values for %'
          AND a.report_id IN (SELECT report_id FROM applications WHERE state = 'unknown')
        WINDOW w AS (PARTITION BY a.report_id, a.row_key, a.raw)
        UNION ALL
        SELECT f.report_id, '4', f.item, f.outcome, f.raw, f.state,
            count(*) OVER w, row_number() OVER (w ORDER BY t.ord) - 1
        FROM review_litigation f JOIN template_section4 t ON t.key = f.key
        WHERE f.state IN ('inferred', 'unknown') AND coalesce(f.note, '') NOT LIKE '%values for %'
          AND f.report_id IN (SELECT report_id FROM review_litigation WHERE state = 'unknown')
        WINDOW w AS (PARTITION BY f.report_id, f.raw)
        UNION ALL
        SELECT d.report_id, '2', d.category, d.metric, d.raw, d.state,
            count(*) OVER w, row_number() OVER (w ORDER BY t.ord) - 1
        FROM active_disclosure d JOIN loaded_reports r USING (report_id)
        JOIN template_section2 t ON t.version = r.template AND t.category = d.category AND t.metric = d.metric
        WHERE d.state IN ('inferred', 'unknown') AND coalesce(d.note, '') NOT LIKE '%values for %'
          AND d.report_id IN (SELECT report_id FROM active_disclosure WHERE state = 'unknown')
        WINDOW w AS (PARTITION BY d.report_id, d.category, d.raw)
    ) WHERE state = 'unknown'
), t3 AS (
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
    SELECT report_id,
        (max(value) FILTER (category = 'normative_documents' AND metric = 'in_force'))::BIGINT AS inf,
        (max(value) FILTER (category = 'normative_documents' AND metric = 'issued'))::BIGINT AS iss,
        (max(value) FILTER (category = 'normative_documents' AND metric = 'repealed'))::BIGINT AS rep,
        max(note) FILTER (category = 'normative_documents' AND metric = 'in_force') AS inf_note,
        max(note) FILTER (category = 'normative_documents' AND metric = 'issued') AS iss_note,
        max(note) FILTER (category = 'normative_documents' AND metric = 'repealed') AS rep_note
    FROM active_disclosure GROUP BY report_id
), results AS (
    -- per result figure: its groups' 总计 cells summed, when every printed one is a number
    SELECT a.report_id, g.key, sum(a.value) AS v,
        count(*) FILTER (a.state NOT IN ('number', 'inferred')) AS n_not_number
    FROM applications a
    JOIN template_section3_rows t ON t.row_key = a.row_key
    JOIN prose_result_groups g ON g.result_group = t.result_group
    WHERE a.applicant = 'total' AND a.state <> 'absent'
    GROUP BY a.report_id, g.key
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
            WHEN 'normative_issued'     THEN t2.iss
            WHEN 'normative_repealed'   THEN t2.rep
            ELSE CASE WHEN rs.n_not_number = 0 THEN rs.v END
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
            WHEN 'normative_issued'     THEN 'section2 normative_documents.issued'
            WHEN 'normative_repealed'   THEN 'section2 normative_documents.repealed'
            ELSE format('sum of the result groups {} (总计 column)', rg.groups)
        END AS cell_expr,
        -- the single cell compared, when the comparison is with one cell
        CASE p.key
            WHEN 'applications_received' THEN CASE WHEN t3.co = 0 THEN ['3', 'new_received', 'total'] END
            WHEN 'applications_handled' THEN ['3', 'total', 'total']
            WHEN 'carried_forward'      THEN ['3', 'carried_forward', 'total']
            WHEN 'review_total'         THEN ['4', 'review', 'total']
            WHEN 'normative_in_force'   THEN ['2', 'normative_documents', 'in_force']
            WHEN 'normative_issued'     THEN ['2', 'normative_documents', 'issued']
            WHEN 'normative_repealed'   THEN ['2', 'normative_documents', 'repealed']
        END AS cell_id,
        -- the figure decided the split of the cell it would be checked against
        coalesce(CASE p.key WHEN 'normative_in_force' THEN t2.inf_note
                            WHEN 'normative_issued' THEN t2.iss_note
                            WHEN 'normative_repealed' THEN t2.rep_note END, '')
            LIKE '%prose ' || p.key || '=%' AS circular
    FROM prose_figures p JOIN loaded_reports USING (report_id)
    LEFT JOIN t3 USING (report_id) LEFT JOIN t4 USING (report_id) LEFT JOIN t2 USING (report_id)
    LEFT JOIN results rs ON rs.report_id = p.report_id AND rs.key = p.key
    LEFT JOIN (SELECT key, string_agg(result_group, '+' ORDER BY result_group) AS groups
               FROM prose_result_groups GROUP BY key) rg ON rg.key = p.key
    WHERE p.key IN ('applications_received', 'applications_handled', 'carried_forward',
                    'review_total', 'suit_total', 'review_suit_total', 'normative_in_force',
                    'normative_issued', 'normative_repealed')
       OR p.key IN (SELECT key FROM prose_result_groups)
), judged AS (
    SELECT f.*, u.raw AS run, u.n AS run_n, u.k AS run_k,
        CASE WHEN f.table_value IS NULL AND u.raw IS NOT NULL
             THEN run_admits(u.raw, u.n::INTEGER, u.k::INTEGER, f.said) END AS admitted
    FROM figures f LEFT JOIN unknown_runs u
        ON u.report_id = f.report_id AND [u.section, u.row, u.col] = f.cell_id
), statused AS (
    SELECT *,
        CASE WHEN circular THEN 'not_assessable'
             WHEN table_value IS NOT NULL THEN CASE WHEN said = table_value THEN 'passed' ELSE 'failed' END
             WHEN admitted = false THEN 'failed'
             ELSE 'not_assessable' END AS status
    FROM judged
)
SELECT report_id, 'prose_vs_table' AS rule,
    CASE WHEN status = 'failed' THEN
        format('prose {}={} ("{}", {}); table {}={}', key, said, text, coalesce(source, ''), cell_expr,
               coalesce(table_value::VARCHAR,
                        CASE WHEN run IS NOT NULL THEN format('unknown (digits run together: "{}", {} cells)', run, run_n)
                             ELSE 'not a number' END)) END AS cells,
    CASE WHEN status = 'failed' THEN format('prose {} = {}', key, cell_expr) END AS formula,
    table_value AS expected, said AS actual, said - table_value AS delta,
    status,
    CASE WHEN circular THEN format('{}: the table cell {} was split using this figure', key, cell_expr)
         WHEN table_value IS NULL AND admitted IS NULL THEN format('{}: table cell {} is not a number', key, cell_expr)
         WHEN table_value IS NULL THEN format('{}: table cell {} is unknown and a split of "{}" gives {}', key, cell_expr, run, said) END AS reason,
    CASE WHEN status <> 'failed' THEN NULL
         WHEN table_value IS NULL
         THEN format('the prose says {} ("{}") but the table prints "{}" for {} cells run together, and no split of it gives {} = {}',
                     said, text, run, run_n, cell_expr, said)
         ELSE format('the prose says {} ("{}") but the table gives {} = {} (delta {})',
                     said, text, cell_expr, table_value, said - table_value) END AS message
FROM statused
