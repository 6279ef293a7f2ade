-- template_conformance: where the printed report departs from the template (a heading with a typo
-- or the wrong numeral, sections out of order or twice, a row label reworded, a template row not
-- printed, the 2019 single-row (六)其他处理 on a 2021-template report, a table split in two).
-- Severity warning: the parser read past it; an office still wants to know.  The parser records
-- each departure as one line of reports.warnings:
--     template_conformance {"kind": …, "printed": …, "template": …, "source": …}
-- (JSON, so any printed text survives); every finding is one failed instance, a loaded report
-- without findings passes.
WITH lines AS (
    SELECT report_id, unnest(string_split(coalesce(warnings, ''), chr(10))) AS line
    FROM loaded_reports
), findings AS (
    SELECT report_id, substr(line, length('template_conformance ') + 1)::JSON AS f
    FROM lines WHERE starts_with(line, 'template_conformance {')
), parsed AS (
    SELECT report_id, f->>'kind' AS kind, f->>'printed' AS printed, f->>'template' AS template,
        f->>'source' AS source
    FROM findings
)
SELECT report_id, 'template_conformance' AS rule,
    format('{} ({}): printed "{}"', kind, coalesce(source, ''), coalesce(printed, '')) AS cells,
    format('printed as the template prints it: "{}"', coalesce(template, '')) AS formula,
    NULL::BIGINT AS expected, NULL::BIGINT AS actual, NULL::BIGINT AS delta,
    'failed' AS status, NULL AS reason,
    format('{}: the report prints "{}" where the template prints "{}" ({})', kind,
           coalesce(printed, ''), coalesce(template, ''), coalesce(source, '')) AS message
FROM parsed
UNION ALL
SELECT report_id, 'template_conformance', NULL, NULL, NULL::BIGINT, NULL::BIGINT, NULL::BIGINT,
    'passed', NULL, NULL
FROM loaded_reports WHERE report_id NOT IN (SELECT report_id FROM parsed)
