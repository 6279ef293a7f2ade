-- review_sum: in section 四, each group's 总计 = 维持 + 纠正 + 其他 + 尚未审结.
WITH cells AS NOT MATERIALIZED (
    SELECT f.report_id, f.item, f.outcome, f.key, f.value, f.state, t.ord
    FROM review_litigation f JOIN loaded_reports USING (report_id)
    JOIN template_section4 t ON t.key = f.key
    WHERE f.state <> 'absent'
), items AS (
    SELECT report_id, item,
        max(value) FILTER (outcome = 'total') AS tt, max(state) FILTER (outcome = 'total') AS tt_s,
        sum(value) FILTER (outcome <> 'total') AS s,
        count(*) FILTER (outcome <> 'total') AS n, count(value) FILTER (outcome <> 'total') AS n_known
    FROM cells GROUP BY report_id, item
), judged AS (
    SELECT *, CASE WHEN tt IS NULL OR n = 0 OR n_known < n THEN 'not_assessable'
                   WHEN tt = s THEN 'passed' ELSE 'failed' END AS status
    FROM items
), texts AS (
    -- the outcome cells' texts, built only for the groups that need them (failed, or not all
    -- numbers)
    SELECT report_id, item,
        string_agg(key || '=' || cv(value, state), '; ' ORDER BY ord) FILTER (outcome <> 'total') AS parts,
        string_agg(key || '=' || state, ', ' ORDER BY ord) FILTER (outcome <> 'total' AND value IS NULL) AS missing
    FROM cells SEMI JOIN (SELECT report_id, item FROM judged
                          WHERE status = 'failed' OR n_known < n) USING (report_id, item)
    GROUP BY report_id, item
)
SELECT report_id, 'review_sum' AS rule,
    CASE WHEN status = 'failed' THEN format('{0}_total={1}; {2}', item, cv(tt, tt_s), parts) END AS cells,
    CASE WHEN status = 'failed' THEN
        format('{0}_total = {0}_upheld + {0}_corrected + {0}_other + {0}_pending', item) END AS formula,
    s AS expected, tt AS actual, tt - s AS delta,
    status,
    CASE WHEN tt IS NULL THEN format('{}: 总计 is {}', item, coalesce(tt_s, 'missing'))
         WHEN n = 0 THEN format('{}: no outcome cells', item)
         WHEN n_known < n THEN format('{}: outcome cells not numbers: {}', item, missing) END AS reason,
    CASE WHEN status = 'failed' THEN
        format('{}: 总计 {} but 维持+纠正+其他+尚未审结 = {} (delta {})', item, tt, s, tt - s) END AS message
FROM judged LEFT JOIN texts USING (report_id, item)
