"""The national annual-report template, declared once, as data.

Everything that needs a row key, a column key, a printed label, an alias or a rule reads it from
here (via ``etl.template``).  Keys and order follow ``report-format.md`` exactly.

Two versions exist:

* ``"2019"`` — 国办公开办函〔2019〕60号, used for the reports on 2019 and 2020;
* ``"2021"`` — 国办公开办函〔2021〕30号, used for the reports on 2021 onwards.

Sections 三 and 四 are almost identical in both; section 二 differs.  The only section-三
difference is the 其他处理 group: the 2019 template prints a single row (stored under
``other_other``); the 2021 template prints three sub-rows.

Labels are matched after :func:`etl.template.normalize_label` (NFKC, no whitespace, no quotes,
no punctuation that real reports vary).  ``fragments`` are the distinctive substrings that
identify a row in any real wording; ``group`` is the (一)…(七) group a sub-row belongs to, so that
ambiguous short labels (``3.其他``) are anchored by their context, never by position alone.
"""

from __future__ import annotations

from dataclasses import dataclass

TEMPLATE_VERSIONS = ("2019", "2021")


def template_for_year(year: int) -> str:
    """The template a report on ``year`` must use (the ``template_year`` rule)."""
    return "2019" if year <= 2020 else "2021"


# --------------------------------------------------------------------------------------------
# Section 三 — applications received and handled
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Column:
    key: str
    label: str
    aliases: tuple[str, ...] = ()
    #: words that name this column in a header cell's text (normalized), most specific first;
    #: the header's group captions (SECTION3_HEADER_GROUPS) are removed from the text before
    header_words: tuple[str, ...] = ()


#: The seven columns of table 三, in printed order.
SECTION3_COLUMNS: tuple[Column, ...] = (
    Column("natural_person", "自然人", (), ("自然人",)),
    Column("commercial", "商业企业", ("商业", "企业"), ("商业",)),
    Column("research", "科研机构", ("科研", "机构"), ("科研",)),
    Column("social_welfare", "社会公益组织", ("社会公益", "公益组织", "社会"), ("公益",)),
    Column("legal_service", "法律服务机构", ("法律服务", "法律"), ("法律服务", "法律")),
    # "其他" alone names it only at the END of a header text (法人或其他组织 holds it too)
    Column("other_org", "其他"),
    Column("total", "总计", ("合计",), ("总计", "合计")),
)
SECTION3_COLUMN_KEYS: tuple[str, ...] = tuple(c.key for c in SECTION3_COLUMNS)
#: Cells per row of table 三 (six applicant columns and 总计).
SECTION3_WIDTH = len(SECTION3_COLUMN_KEYS)
#: Place of the 总计 column in a row.
SECTION3_TOTAL_INDEX = SECTION3_COLUMN_KEYS.index("total")
#: The six applicant columns whose sum is the 总计 column (``row_total``).
APPLICANT_COLUMN_KEYS: tuple[str, ...] = tuple(k for k in SECTION3_COLUMN_KEYS if k != "total")
#: Captions printed over the applicant columns (table furniture: they name no column).
SECTION3_APPLICANT_HEADER = "申请人情况"
SECTION3_LEGAL_PERSON_HEADER = "法人或其他组织"
SECTION3_HEADER_GROUPS: tuple[str, ...] = (SECTION3_LEGAL_PERSON_HEADER, SECTION3_APPLICANT_HEADER)
#: Words of table 三's own header: where it starts when its section heading is missing.
SECTION3_HEADER_MARKERS: tuple[str, ...] = ("勾稽关系", SECTION3_APPLICANT_HEADER)
#: The row caption over the result groups (三、本年度办理结果): a label, never a row of its own.
SECTION3_RESULTS_CAPTION = "三、本年度办理结果"


@dataclass(frozen=True)
class Row:
    key: str
    label: str                      # the label as the 2021 template prints it
    group: str | None               # "一".."四" top rows, or "(一)".."(七)" result groups
    fragments: tuple[str, ...]      # distinctive normalized substrings (any one identifies the row)
    versions: tuple[str, ...] = TEMPLATE_VERSIONS
    is_result: bool = False         # one of the 21 rows summed into (七)总计 (results_sum)


#: The result groups of 三、本年度办理结果, with the labels they are printed under.
SECTION3_GROUPS: dict[str, tuple[str, ...]] = {
    "(一)": ("予以公开",),
    "(二)": ("部分公开",),
    "(三)": ("不予公开",),
    "(四)": ("无法提供",),
    "(五)": ("不予处理",),
    "(六)": ("其他处理", "其他"),
    "(七)": ("总计",),
}

SECTION3_ROWS: tuple[Row, ...] = (
    Row("new_received", "一、本年新收政府信息公开申请数量", "一", ("本年新收",)),
    Row("carried_over", "二、上年结转政府信息公开申请数量", "二", ("上年结转",)),
    Row("granted", "(一)予以公开", "(一)", ("予以公开",), is_result=True),
    Row("partial", "(二)部分公开(区分处理的,只计这一情形,不计其他情形)", "(二)",
        ("部分公开",), is_result=True),
    Row("deny_state_secret", "1.属于国家秘密", "(三)", ("国家秘密",), is_result=True),
    Row("deny_law_forbidden", "2.其他法律行政法规禁止公开", "(三)",
        ("法律行政法规禁止", "其他法律行政止公开", "行政法规禁止公开", "法律法规禁止"), is_result=True),
    Row("deny_three_safety", "3.危及“三安全一稳定”", "(三)", ("三安全一稳定", "危及"), is_result=True),
    Row("deny_third_party", "4.保护第三方合法权益", "(三)", ("第三方合法权益", "保护第三方"), is_result=True),
    Row("deny_internal_affairs", "5.属于三类内部事务信息", "(三)", ("内部事务",), is_result=True),
    Row("deny_process_info", "6.属于四类过程性信息", "(三)", ("过程性信息",), is_result=True),
    Row("deny_enforcement_file", "7.属于行政执法案卷", "(三)", ("行政执法案卷", "执法案卷"), is_result=True),
    Row("deny_admin_query", "8.属于行政查询事项", "(三)", ("行政查询事项", "查询事项"), is_result=True),
    Row("unable_not_held", "1.本机关不掌握相关政府信息", "(四)",
        ("不掌握相关政府信息", "本机关不掌握", "不掌握"), is_result=True),
    Row("unable_need_create", "2.没有现成信息需要另行制作", "(四)",
        ("另行制作", "没有现成信息"), is_result=True),
    Row("unable_unclear", "3.补正后申请内容仍不明确", "(四)", ("仍不明确", "补正后申请内容"), is_result=True),
    Row("reject_petition", "1.信访举报投诉类申请", "(五)", ("信访举报投诉", "信访举报"), is_result=True),
    Row("reject_repeat", "2.重复申请", "(五)", ("重复申请",), is_result=True),
    Row("reject_publication", "3.要求提供公开出版物", "(五)", ("公开出版物",), is_result=True),
    Row("reject_mass_repeat", "4.无正当理由大量反复申请", "(五)", ("大量反复申请", "大量反复"), is_result=True),
    Row("reject_confirm", "5.要求行政机关确认或重新出具已获取信息", "(五)",
        ("确认或重新出具", "重新出具"), is_result=True),
    Row("other_overdue_correction",
        "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请", "(六)",
        ("逾期不补正",), versions=("2021",), is_result=True),
    Row("other_unpaid_fee",
        "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请", "(六)",
        ("缴纳费用", "收费通知"), versions=("2021",), is_result=True),
    # 2021: the sub-row "3.其他"; 2019 (and 2021 reports printed on the old form): the single
    # row "(六)其他处理".  Either way the cells are stored under other_other.
    Row("other_other", "3.其他", "(六)", ("其他处理",), is_result=True),
    Row("total", "(七)总计", "(七)", ("总计", "合计")),
    # Beware: printed as 四、结转下年度继续办理 — a row of table 三, not the heading of section 四.
    Row("carried_forward", "四、结转下年度继续办理", "四", ("结转下年度",)),
)
SECTION3_ROW_KEYS: tuple[str, ...] = tuple(r.key for r in SECTION3_ROWS)
RESULT_ROW_KEYS: tuple[str, ...] = tuple(r.key for r in SECTION3_ROWS if r.is_result)
#: Rows that only the 2021 template prints.
ROWS_2021_ONLY: tuple[str, ...] = tuple(r.key for r in SECTION3_ROWS if r.versions == ("2021",))

#: The official header note of table 三 (the accounting identity, in the report's own words).
SECTION3_IDENTITY_NOTE = "本列数据的勾稽关系为:第一项加第二项之和,等于第三项加第四项之和"


# --------------------------------------------------------------------------------------------
# Section 四 — administrative review and litigation
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Group4:
    prefix: str
    label: str
    aliases: tuple[str, ...]


SECTION4_GROUPS: tuple[Group4, ...] = (
    Group4("review", "行政复议", ("行政复议",)),
    Group4("suit_direct", "行政诉讼 未经复议直接起诉", ("未经复议直接起诉", "直接起诉")),
    Group4("suit_after_review", "行政诉讼 复议后起诉", ("复议后起诉",)),
)
SECTION4_OUTCOMES: tuple[tuple[str, str], ...] = (
    ("upheld", "结果维持"),
    ("corrected", "结果纠正"),
    ("other", "其他结果"),
    ("pending", "尚未审结"),
    ("total", "总计"),
)
#: The 15 keys of section 四, in printed order.
SECTION4_KEYS: tuple[str, ...] = tuple(
    f"{g.prefix}_{o}" for g in SECTION4_GROUPS for o, _ in SECTION4_OUTCOMES
)
#: Caption over the two litigation groups (table furniture).
SECTION4_SUIT_HEADER = "行政诉讼"
#: The sums of section 四 as places in SECTION4_KEYS: (the four outcome cells, the group's 总计)
#: per group (``review_sum``).
SECTION4_SUM_GROUPS: tuple[tuple[tuple[int, ...], int], ...] = tuple(
    (tuple(SECTION4_KEYS.index(f"{g.prefix}_{o}") for o, _ in SECTION4_OUTCOMES if o != "total"),
     SECTION4_KEYS.index(f"{g.prefix}_total"))
    for g in SECTION4_GROUPS
)


# --------------------------------------------------------------------------------------------
# Section 二 — proactive disclosure (differs by version)
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Metric:
    key: str
    label: str
    aliases: tuple[str, ...] = ()
    decimal: bool = False           # a decimal amount (万元 / 元), not a count
    signed: bool = False            # may be negative (本年增/减)


@dataclass(frozen=True)
class Category:
    key: str
    label: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Section2Table:
    item: str                       # the 第二十条 item it reports, e.g. "(一)"
    categories: tuple[Category, ...]
    metrics: tuple[Metric, ...]


#: The caption of every section 二 table's label column (table furniture).
SECTION2_CONTENT_HEADER = "信息内容"

SECTION2: dict[str, tuple[Section2Table, ...]] = {
    "2021": (
        Section2Table(
            "(一)",
            (Category("regulations", "规章"),
             Category("normative_documents", "行政规范性文件", ("规范性文件",))),
            (Metric("issued", "本年制发件数", ("制发",)),
             Metric("repealed", "本年废止件数", ("废止",)),
             Metric("in_force", "现行有效件数", ("现行有效",))),
        ),
        Section2Table("(五)", (Category("admin_license", "行政许可"),),
                      (Metric("decisions", "本年处理决定数量", ("处理决定",)),)),
        Section2Table("(六)",
                      (Category("admin_penalty", "行政处罚"), Category("admin_coercion", "行政强制")),
                      (Metric("decisions", "本年处理决定数量", ("处理决定",)),)),
        Section2Table("(八)", (Category("admin_fees", "行政事业性收费"),),
                      (Metric("amount_10k_yuan", "本年收费金额(单位:万元)", ("收费金额",),
                              decimal=True),)),
    ),
    "2019": (
        Section2Table(
            "(一)",
            (Category("regulations", "规章"),
             Category("normative_documents", "规范性文件", ("行政规范性文件",))),
            (Metric("new_made", "本年新制作数量", ("新制作",)),
             Metric("new_published", "本年新公开数量", ("新公开",)),
             Metric("total_published", "对外公开总数量", ("公开总数",))),
        ),
        Section2Table(
            "(五)",
            (Category("admin_license", "行政许可"),
             Category("other_mgmt_services", "其他对外管理服务事项", ("对外管理服务",))),
            (Metric("prev_items", "上一年项目数量", ("上一年",)),
             Metric("change", "本年增/减", ("增/减", "增减"), signed=True),
             Metric("decisions", "处理决定数量", ("处理决定",))),
        ),
        Section2Table(
            "(六)",
            (Category("admin_penalty", "行政处罚"), Category("admin_coercion", "行政强制")),
            (Metric("prev_items", "上一年项目数量", ("上一年",)),
             Metric("change", "本年增/减", ("增/减", "增减"), signed=True),
             Metric("decisions", "处理决定数量", ("处理决定",))),
        ),
        Section2Table(
            "(八)",
            (Category("admin_fees", "行政事业性收费"),),
            (Metric("prev_items", "上一年项目数量", ("上一年",)),
             Metric("change", "本年增/减", ("增/减", "增减"), signed=True)),
        ),
        Section2Table(
            "(九)",
            (Category("gov_procurement", "政府集中采购", ("集中采购",)),),
            # amount is printed with its unit (251000元, 25.1万元) and stored in 元
            (Metric("projects", "采购项目数量", ("项目数量",)),
             Metric("amount", "采购总金额", ("总金额",), decimal=True)),
        ),
    ),
}

#: Labels that only one version prints in section 二 — the evidence for template detection.
TEMPLATE_MARKERS: dict[str, tuple[str, ...]] = {
    "2021": ("本年制发件数", "现行有效件数", "本年收费金额", "逾期不补正", "缴纳费用"),
    "2019": ("本年新制作数量", "对外公开总数量", "上一年项目数量", "政府集中采购", "采购总金额"),
}


# --------------------------------------------------------------------------------------------
# Sections (headings) — for splitting a document into its six parts
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Section:
    number: str
    key: str
    fragments: tuple[str, ...]      # distinctive substrings of any real wording of the heading
    titles: tuple[str, ...]         # the heading as printed (first: the template's wording)


SECTIONS: tuple[Section, ...] = (
    Section("一", "overview", ("总体情况",), ("总体情况",)),
    Section("二", "active_disclosure", ("主动公开政府信息情况",), ("主动公开政府信息情况",)),
    Section("三", "applications", ("收到和处理政府信息公开申请情况",), ("收到和处理政府信息公开申请情况",)),
    Section("四", "review_litigation",
            ("行政复议、行政诉讼情况", "行政复议和行政诉讼情况", "被申请行政复议", "行政复议、提起行政诉讼",
             "行政复议,提起行政诉讼"),
            ("政府信息公开行政复议、行政诉讼情况", "因政府信息公开工作被申请行政复议、提起行政诉讼情况",
             "政府信息公开行政复议和行政诉讼情况")),
    Section("五", "problems", ("存在的主要问题",),
            ("政府信息公开工作存在的主要问题及改进情况", "存在的主要问题及改进情况")),
    Section("六", "other_matters", ("其他需要报告的事项", "其他需要报告"), ("其他需要报告的事项",)),
)
#: The section numerals 一…六, in order.
SECTION_NUMERALS: str = "".join(s.number for s in SECTIONS)


# --------------------------------------------------------------------------------------------
# Rules a correct report obeys (validation is SQL in etl.checks; this is the catalogue)
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Rule:
    id: str
    scope: str                      # "report", "cross_year" or "corpus" (about the set of files)
    severity: str                   # "error" or "warning"
    description: str


#: Every rule, in the order they run; each has one SQL file ``etl/checks/rules/<id>.sql``.
RULES: tuple[Rule, ...] = (
    Rule("identity", "report", "error",
         "every column of table 三: new_received + carried_over = total + carried_forward"),
    Rule("results_sum", "report", "error",
         "every column of table 三: total = sum of the 21 result rows (granted … other_other)"),
    Rule("row_total", "report", "error",
         "every row of table 三: the 总计 column = sum of the six applicant columns"),
    Rule("review_sum", "report", "error",
         "section 四, each group: 总计 = 维持 + 纠正 + 其他 + 尚未审结"),
    Rule("prose_vs_table", "report", "error",
         "figures stated in the prose agree with the tables"),
    Rule("template_year", "report", "error",
         "2019 template for reports on 2019–2020, 2021 template from 2021"),
    Rule("carry_chain", "cross_year", "error",
         "one agency: carried_over of year t = carried_forward of year t-1"),
    Rule("in_force_chain", "cross_year", "warning",
         "one agency: in_force(t) = in_force(t-1) + issued(t) - repealed(t)"),
    Rule("missing_section", "report", "error",
         "the report has no cells of section 三 or of section 四 at all"),
    Rule("duplicate_report", "corpus", "warning",
         "the same agency-year was published more than once; this copy was superseded"),
    Rule("template_conformance", "report", "warning",
         "where the printed report departs from the template (a heading, a row label, the order of "
         "the sections, a table split in two): the printed text beside the template's"),
)
RULE_IDS: tuple[str, ...] = tuple(r.id for r in RULES)
#: The rules whose result for year t reads year t-1 too (they are what a change to t-1 can move).
CROSS_YEAR_RULES: frozenset[str] = frozenset(r.id for r in RULES if r.scope == "cross_year")


# --------------------------------------------------------------------------------------------
# Cell states (what a printed cell was) — shared by parser, warehouse and synth
# --------------------------------------------------------------------------------------------

#: number — a number was printed; blank — nothing printed; dash — "/", "—", "-", "无" (not
#: applicable / none); text — something else was printed; inferred — digits ran together and the
#: table's identities left exactly one split; unknown — digits ran together and no unique split
#: exists (the reason is in the cell's note); absent — the template/report has no such cell;
#: ocr — read by OCR from a scan and accepted because the table's identities hold for its row
#: and column (value set; etl.readers.scan.accept); corrected — an office's correction replaced
#: what was printed (etl.stages.corrections; the printed value and state are kept beside it).
CELL_STATES: tuple[str, ...] = ("number", "blank", "dash", "text", "inferred", "unknown", "absent",
                                 "ocr", "corrected")
DASH_TOKENS: tuple[str, ...] = ("/", "-", "—", "――", "–", "无", "——", "－", "／", "\\")

#: Prose-figure keys (facts the prose states, checked against the tables by prose_vs_table).
PROSE_FIGURE_KEYS: dict[str, str] = {
    "applications_received": "收到/受理政府信息公开申请 N 件 (new_received, or new+carried when 受理 counts both)",
    "applications_handled": "办结/办理 N 件 (section3 total.total)",
    "carried_forward": "结转下年度 N 件",
    "review_total": "行政复议 N 件",
    "suit_total": "行政诉讼 N 件 (direct + after review)",
    "review_suit_total": "复议诉讼案件 N 件: review and litigation counted together "
                         "(review_total + suit_direct_total + suit_after_review_total)",
    "active_disclosed": "主动公开信息 N 条 (informational; no table cell)",
    "normative_in_force": "现行有效行政规范性文件 N 件 (section2 normative_documents.in_force)",
    "normative_issued": "本年制发规范性文件 N 件 (section2 normative_documents.issued)",
    "normative_repealed": "废止规范性文件 N 件 (section2 normative_documents.repealed)",
    "fees_charged_yuan": "收取信息处理费 N 元 (0 when 无收取)",
    # applications by result (三、本年度办理结果): the 总计 column summed over the groups named
    "results_granted": "予以公开 N 件 (group (一))",
    "results_partial": "部分公开 N 件 (group (二))",
    "results_granted_partial": "予以公开及部分公开 N 件 (groups (一) and (二))",
    "results_denied": "不予公开 N 件 (group (三))",
    "results_unable": "无法提供 N 件 (group (四))",
    "results_rejected": "不予处理 N 件 (group (五))",
    "results_other": "其他处理 N 件 (group (六))",
}
#: Prose figures that state the sum of result groups of table 三 (the 总计 column of their rows).
PROSE_RESULT_GROUPS: dict[str, tuple[str, ...]] = {
    "results_granted": ("(一)",),
    "results_partial": ("(二)",),
    "results_granted_partial": ("(一)", "(二)"),
    "results_denied": ("(三)",),
    "results_unable": ("(四)",),
    "results_rejected": ("(五)",),
    "results_other": ("(六)",),
}
#: Prose figures that state one cell of section 二: (category, metric) per template version.
PROSE_SECTION2_CELLS: dict[str, dict[str, tuple[str, str]]] = {
    "2021": {"normative_issued": ("normative_documents", "issued"),
             "normative_repealed": ("normative_documents", "repealed"),
             "normative_in_force": ("normative_documents", "in_force")},
    "2019": {},
}
