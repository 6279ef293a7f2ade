-- template_year: the 2019 template for reports on 2019–2020, the 2021 template from 2021 on.
-- template_for_year() is etl.template.template_for_year registered as a SQL function.
SELECT report_id, 'template_year' AS rule,
    format('template={}; year={}', coalesce(template, 'not detected'), year) AS cells,
    'template = template_for_year(year)' AS formula,
    template_for_year(year)::BIGINT AS expected, template::BIGINT AS actual,
    template::BIGINT - template_for_year(year)::BIGINT AS delta,
    CASE WHEN template IS NULL THEN 'not_assessable'
         WHEN template = template_for_year(year) THEN 'passed' ELSE 'failed' END AS status,
    CASE WHEN template IS NULL THEN 'template version not detected' END AS reason,
    format('a report on {} must use the {} template, but prints the {} template',
           year, template_for_year(year), template) AS message
FROM loaded_reports
