-- review_sum: in section 四, each group's 总计 = 维持 + 纠正 + 其他 + 尚未审结.
WITH cells AS (
    SELECT f.report_id, f.item, f.outcome, f.key, f.value, f.state, t.ord
    FROM review_litigation f JOIN loaded_reports USING (report_id)
    JOIN template_section4 t ON t.key = f.key
    WHERE f.state <> 'absent'
), items AS (
    SELECT report_id, item,
        max(value) FILTER (outcome = 'total') AS tt, max(state) FILTER (outcome = 'total') AS tt_s,
        sum(value) FILTER (outcome <> 'total') AS s,
        count(*) FILTER (outcome <> 'total') AS n, count(value) FILTER (outcome <> 'total') AS n_known,
        string_agg(key || '=' || cv(value, state), '; ' ORDER BY ord) FILTER (outcome <> 'total') AS parts,
        string_agg(key || '=' || state, ', ' ORDER BY ord) FILTER (outcome <> 'total' AND value IS NULL) AS missing
    FROM cells GROUP BY report_id, item
)
SELECT report_id, 'review_sum' AS rule,
    format('{0}_total={1}; {2}', item, cv(tt, tt_s), parts) AS cells,
    format('{0}_total = {0}_upheld + {0}_corrected + {0}_other + {0}_pending', item) AS formula,
    s AS expected, tt AS actual, tt - s AS delta,
    CASE WHEN tt IS NULL OR n = 0 OR n_known < n THEN 'not_assessable'
         WHEN tt = s THEN 'passed' ELSE 'failed' END AS status,
    CASE WHEN tt IS NULL THEN format('{}: 总计 is {}', item, coalesce(tt_s, 'missing'))
         WHEN n = 0 THEN format('{}: no outcome cells', item)
         WHEN n_known < n THEN format('{}: outcome cells not numbers: {}', item, missing) END AS reason,
    format('{}: 总计 {} but 维持+纠正+其他+尚未审结 = {} (delta {})', item, tt, s, tt - s) AS message
FROM items
