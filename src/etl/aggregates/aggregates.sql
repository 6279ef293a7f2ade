-- The aggregates, long form: one row per (year, region, level, metric) as region, level and
-- metric ranks (aggregate_names; the caller puts the names back) and sort_key, the row's place
-- in the file's order.  Reads the tables sums.sql beside this file makes.
WITH ranks AS (
    SELECT kind, name, rk FROM aggregate_names
), keyed AS (
    SELECT p.year, p.region_path, l.rk AS level_rk, m.rk AS metric_rk, p.value, p.n_reports
    FROM aggregate_printed p
    JOIN ranks l ON l.kind = 'level' AND l.name = p.level
    JOIN ranks m ON m.kind = 'metric' AND m.name = p.metric
), ancestors AS (
    SELECT a.region_path, r.rk AS region_rk
    FROM aggregate_ancestors a JOIN ranks r ON r.kind = 'region' AND r.name = a.region
), all_ranks AS (
    SELECT max(rk) FILTER (kind = 'region' AND name = '(all)') AS all_regions,
           max(rk) FILTER (kind = 'level' AND name = '(all)') AS all_levels,
           count(*) FILTER (kind = 'level') AS n_levels, count(*) FILTER (kind = 'metric') AS n_metrics
    FROM ranks
), summed AS (
    SELECT year, region_rk, level_rk, metric_rk, sum(value) AS value, sum(n_reports)::BIGINT AS n_reports
    FROM keyed JOIN ancestors USING (region_path)
    GROUP BY GROUPING SETS ((year, region_rk, level_rk, metric_rk), (year, region_rk, metric_rk))
    UNION ALL
    SELECT year, NULL, level_rk, metric_rk, sum(value), sum(n_reports)::BIGINT
    FROM keyed GROUP BY GROUPING SETS ((year, level_rk, metric_rk), (year, metric_rk))
), rows AS (
    SELECT year, coalesce(region_rk, all_regions) AS region_rk, coalesce(level_rk, all_levels) AS level_rk,
        metric_rk, value, n_reports
    FROM summed, all_ranks
    UNION ALL
    SELECT t.year, r.rk, l.rk, m.rk, t.value, t.n_reports
    FROM aggregate_rates t
    JOIN ranks r ON r.kind = 'region' AND r.name = t.region_path
    JOIN ranks l ON l.kind = 'level' AND l.name = t.level
    JOIN ranks m ON m.kind = 'metric' AND m.name = t.metric
)
SELECT year, region_rk, level_rk, metric_rk, value, n_reports,
    (region_rk * n_levels + level_rk) * n_metrics + metric_rk AS sort_key
FROM rows, all_ranks
